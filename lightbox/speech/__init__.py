"""Spoken questions, offline: audio buffers, speech recognition (pocketsphinx with a radiology
language model built from ../shared/data), and optional text-to-speech (espeak-ng).

Qt-free like the viewer's data model: the app records from the microphone with QtMultimedia and
hands 16 kHz PCM to :mod:`lightbox.speech.recognizer`.
"""
