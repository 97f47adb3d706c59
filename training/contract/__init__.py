"""What the app and the Keras side both run on: class order, preprocessing, photo decoding,
atomic writes, wording and model-file checks. Imports neither TensorFlow nor Keras."""
