"""Models: encoders (torch, ONNX), packaged and split model files, tokens, cross-encoders."""
