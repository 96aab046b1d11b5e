"""The only package that imports OpenCV: cameras, video files, streams and image files."""
