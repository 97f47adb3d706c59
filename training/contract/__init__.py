"""What the app and the Keras side both run on: class order, preprocessing, photo decoding,
atomic writes, wording, model-file checks, reading model cards and finding a current TFLite copy.
Imports neither TensorFlow nor Keras, nor any other training module."""
