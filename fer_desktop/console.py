"""Quiet by default: hide what TensorFlow, absl and LiteRT print that no user asked for.

Three sources, three remedies (``--verbose`` turns all of them off):

- Python loggers (``tensorflow``'s "Assets written to ...", absl): raised to WARNING.
- Keras' TensorSpec dump after a TFLite conversion: ``training.tflite.to_tflite`` sends it
  to absl's logger (INFO), hidden unless verbose.
- Native code writing straight to file descriptor 2 (TensorFlow's "I0000 ... port.cc" lines,
  printed before absl's log is initialised, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them;
  MediaPipe/LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate", "W0000 ..."):
  :class:`NativeStderrFilter` puts a pipe on fd 2 and a thread copies every line to the real
  stderr except those of :data:`NATIVE_NOISE`. Python's own ``sys.stderr`` (messages, progress
  bars, tracebacks) is pointed at the real stderr directly and never passes the filter.

The filter is for the headless commands only. A native message written just before the
process aborts may not reach the terminal through it, so the GUI (which has crashed that way
in the past) is never filtered, and :mod:`faulthandler` writes Python tracebacks of fatal
signals to the real stderr.
"""

from __future__ import annotations

import faulthandler
import io
import logging
import os
import re
import sys
import threading

NATIVE_NOISE = re.compile(
    rb"^(?:[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] "  # absl/glog INFO and WARNING lines
    rb"|E\d{4} .*failed call to cuInit"  # no CUDA driver: TensorFlow runs on the CPU, as it says elsewhere
    rb"|INFO: "  # LiteRT / TFLite's own INFO lines
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|WARNING: Logging before InitGoogle\(\))"
)
NOISY_LOGGERS = ("tensorflow", "absl", "keras", "h5py")


def configure(verbose: bool, filter_native: bool) -> NativeStderrFilter | None:
    """Set up logging and, with ``filter_native`` and not ``verbose``, the native stderr filter.

    Call before anything logs (``logging.basicConfig`` binds ``sys.stderr`` as it is then).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbose else "2")
    os.environ.setdefault("GLOG_minloglevel", "0" if verbose else "2")
    native = None
    if filter_native and not verbose:
        native = NativeStderrFilter()
        native.install()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    if verbose:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.INFO)
    return native


class NativeStderrFilter:
    """Drops native library chatter written to fd 2; every other line passes, in order."""

    def __init__(self, noise: re.Pattern[bytes] = NATIVE_NOISE):
        self.noise = noise
        self._real_fd: int | None = None
        self._thread: threading.Thread | None = None
        self._saved_stderr = None

    def install(self) -> None:
        sys.stderr.flush()
        self._real_fd = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._saved_stderr = sys.stderr
        sys.stderr = io.TextIOWrapper(
            io.FileIO(self._real_fd, "w", closefd=False),
            encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
            errors="backslashreplace",
            line_buffering=True,
            write_through=True,
        )
        faulthandler.enable(file=sys.stderr)
        self._thread = threading.Thread(target=self._copy, args=(read_fd,), name="stderr-filter", daemon=True)
        self._thread.start()

    def _copy(self, read_fd: int) -> None:
        pending = b""
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    self._forward(line + b"\n")
        if pending:
            self._forward(pending)

    def _forward(self, line: bytes) -> None:
        if not self.noise.match(line):
            os.write(self._real_fd, line)

    def uninstall(self, timeout: float = 2.0) -> None:
        """Put the real stderr back on fd 2 and pass on what is still in the pipe."""
        if self._thread is None:
            return
        sys.stderr.flush()
        faulthandler.disable()
        os.dup2(self._real_fd, 2)  # closes the pipe's last write end: the thread reads to the end
        self._thread.join(timeout)
        self._thread = None
        sys.stderr = self._saved_stderr
