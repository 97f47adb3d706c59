"""Label every face in a folder of photos: plain Python, shared by ``fer-desktop label`` and the Label tab.

The modules, by concern: ``rows`` (a face's row, its CSV columns, a run's summary), ``walk``
(which files a run sees), ``reuse`` (an earlier run's results and the output's lock),
``decoding`` and ``labeller`` (one photo's faces), ``runs`` (a folder run), ``export`` (CSV,
JSON, crops), ``parallel`` and ``merge`` (``--jobs`` and ``--shard``), ``corrections`` (human
labels) and ``session`` (the Label tab's state, without Qt).  The names below are the ones
other packages use; code inside this package imports from the modules themselves.
"""

from fer_desktop.labelling.decoding import decode, decoded_photos, in_order
from fer_desktop.labelling.export import crop_file_name, export_crops, write_csv, write_json
from fer_desktop.labelling.labeller import (
    PhotoLabeller,
    find_faces,
    label_whole_images,
    open_labeller,
    photo_thumbnail,
    thumbnail,
)
from fer_desktop.labelling.reuse import (
    OutputBusyError,
    PreviousRun,
    load_previous,
    lock_path,
    model_id,
    output_lock,
    state_path,
)
from fer_desktop.labelling.rows import (
    FACE_DETECTED,
    FACE_WHOLE_IMAGE,
    LABEL_COLUMNS,
    STATUS_NO_FACE,
    STATUS_OK,
    LabelRow,
    LabelSummary,
    count_rows,
)
from fer_desktop.labelling.runs import label_folder
from fer_desktop.labelling.walk import Shard, file_key, iter_files, list_files

__all__ = [
    "FACE_DETECTED",
    "FACE_WHOLE_IMAGE",
    "LABEL_COLUMNS",
    "STATUS_NO_FACE",
    "STATUS_OK",
    "LabelRow",
    "LabelSummary",
    "OutputBusyError",
    "PhotoLabeller",
    "PreviousRun",
    "Shard",
    "count_rows",
    "crop_file_name",
    "decode",
    "decoded_photos",
    "export_crops",
    "file_key",
    "find_faces",
    "in_order",
    "iter_files",
    "label_folder",
    "label_whole_images",
    "list_files",
    "load_previous",
    "lock_path",
    "model_id",
    "open_labeller",
    "output_lock",
    "photo_thumbnail",
    "state_path",
    "thumbnail",
    "write_csv",
    "write_json",
]
