"""Speech, Qt-free: audio reading and resampling, the radiology language model and dictionary,
the recogniser on a real recording, WER next to the stock model, and reading aloud."""
from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from lightbox.speech.audio import AudioError, Recording, level_dbfs, read_for_recogniser, read_wav, resample
from lightbox.speech.g2p import ipa_to_arpabet
from lightbox.speech.language_model import hand_pronunciations, read_dictionary, report_questions, spoken_words
from lightbox.speech.recognizer import SpeechRecognizer, SpeechUnavailable, radiology_model_dir
from lightbox.speech.testset import read_questions

DATA = Path(__file__).resolve().parent / "data"
QUESTION_WAV = DATA / "question_pneumothorax.wav"  # espeak-ng en-us, 175 wpm: "um is there a pneumothorax on the left"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                  reason="espeak-ng and sox synthesise the test set (tools/run-tests.sh installs them)")


def _write(path: Path, data: np.ndarray, rate: int, width: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1 if data.ndim == 1 else data.shape[1])
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())


@pytest.mark.parametrize("width", [1, 2, 4])
def test_wav_sample_widths_read_to_the_same_signal(tmp_path, width) -> None:
    t = np.arange(800) / 8000
    signal = 0.5 * np.sin(2 * np.pi * 440 * t)
    data = {1: (signal * 127 + 128).round().astype(np.uint8), 2: (signal * 32767).round().astype(np.int16),
            4: (signal * (2**31 - 1)).round().astype(np.int32)}[width]
    _write(tmp_path / "a.wav", data, 8000, width)
    samples, rate = read_wav(tmp_path / "a.wav")
    assert rate == 8000 and samples.dtype == np.float32
    assert np.abs(samples - signal).max() < (1 / 100 if width == 1 else 1e-4)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox writes the recordings (tools/run-tests.sh installs it)")
@pytest.mark.parametrize(("options", "name"), [(["-b", "24"], "a.wav"), (["-e", "floating-point", "-b", "32"], "a.wav"),
                                               (["-c", "2"], "a.wav"), ([], "a.flac")])
def test_recordings_in_the_encodings_recorders_write_are_read(tmp_path, options, name) -> None:
    """sox writes the question as a 24-bit WAV (WAVE_FORMAT_EXTENSIBLE), a 32-bit float WAV, a
    stereo WAV and FLAC: each reads back as the same 16-bit samples. Python's wave module refused
    the first two ("not a PCM WAV file (unknown format: 65534)" / "(unknown format: 3)")."""
    import subprocess

    out = tmp_path / name
    subprocess.run(["sox", str(QUESTION_WAV), *options, str(out)], check=True, capture_output=True, timeout=60)
    assert np.array_equal(read_for_recogniser(out), read_for_recogniser(QUESTION_WAV))


def test_stereo_int16_is_averaged_and_scaled(tmp_path) -> None:
    left = np.full(1600, 16384, np.int16)
    right = np.full(1600, -8192, np.int16)
    _write(tmp_path / "s.wav", np.stack([left, right], axis=1), 16000, 2)
    samples, _ = read_wav(tmp_path / "s.wav")
    assert np.allclose(samples, (0.5 - 0.25) / 2)  # a regression: int16 averaged before scaling clipped everything


def test_resampling_keeps_the_tone_and_the_duration() -> None:
    rate = 44100
    tone = np.sin(2 * np.pi * 1000 * np.arange(rate) / rate).astype(np.float32)
    out = resample(tone, rate, 16000)
    assert out.size == 16000
    peak = np.argmax(np.abs(np.fft.rfft(out)))
    assert peak == 1000  # 1 Hz bins over one second
    assert abs(level_dbfs(out) - (-3.01)) < 0.05  # full-scale sine: RMS -3 dBFS


def test_recording_collects_chunks_at_the_device_rate() -> None:
    recording = Recording(48000)
    chunk = (np.sin(np.linspace(0, 200, 960)) * 10000).astype(np.int16)
    levels = [recording.add(chunk) for _ in range(50)]
    assert recording.seconds == pytest.approx(1.0)
    assert recording.pcm16().size == 16000
    assert all(-20 < level < -9 for level in levels)
    assert Recording(16000).add(np.zeros(320, np.int16)) == -100.0


def test_bad_audio_files_get_a_message_naming_them(tmp_path) -> None:
    (tmp_path / "notes.wav").write_text("this is not audio")
    with pytest.raises(AudioError, match=r"notes.wav: not an audio file Lightbox can read \(WAV, FLAC, Ogg or MP3\)"):
        read_wav(tmp_path / "notes.wav")
    with pytest.raises(AudioError, match="no such audio file"):
        read_wav(tmp_path / "missing.wav")
    with pytest.raises(AudioError, match="a folder, not an audio file"):
        read_wav(tmp_path)
    _write(tmp_path / "click.wav", np.zeros(100, np.int16), 16000, 2)
    with pytest.raises(AudioError, match="too short"):
        read_for_recogniser(tmp_path / "click.wav")


def test_spoken_words_normalise_numbers_units_and_punctuation() -> None:
    assert spoken_words("A 2.5 cm nodule, X-ray.") == ["a", "two", "point", "five", "centimeters", "nodule", "x", "ray"]
    assert spoken_words("Heart size 120 mm") == ["heart", "size", "one", "hundred", "twenty", "millimeters"]


def test_report_sentences_become_questions() -> None:
    assert report_questions(["there", "is", "no", "pneumothorax"]) == [
        "is there pneumothorax", "is there any pneumothorax", "is there a pneumothorax"]
    assert report_questions(["the", "lungs", "are", "clear"]) == ["are the lungs clear"]
    assert report_questions(["no", "focal", "consolidation"])[0] == "is there focal consolidation"
    assert report_questions(["heart", "size", "normal"]) == []


def test_ipa_to_arpabet() -> None:
    assert ipa_to_arpabet("n_ˈuː_m_ə_θ_ˌoː_ɹ_æ_k_s") == "N UW M AH TH AO R AE K S"
    assert ipa_to_arpabet("ɪ_f_j_ˈuː_ʒ_ə_n") == "IH F Y UW ZH AH N"
    assert ipa_to_arpabet("q_☃") is None


def _acoustic_phones() -> set[str]:
    """The phone set of pocketsphinx's en-us model, as its own CMU dictionary uses it (the model
    definition file is binary)."""
    from pocketsphinx import get_model_path

    return {phone for prons in read_dictionary(Path(get_model_path("en-us/cmudict-en-us.dict"))).values()
            for pron in prons for phone in pron.split()}


def test_shipped_dictionary_covers_the_radiology_words_with_real_phones() -> None:
    phones = _acoustic_phones()
    assert {"AA", "ZH", "NG"} <= phones and len(phones) == 39
    dictionary = read_dictionary(radiology_model_dir() / "radiology.dict")
    hand = hand_pronunciations()
    for word in ("pneumothorax", "atelectasis", "cardiomegaly", "costophrenic"):
        assert dictionary[word][: len(hand[word])] == hand[word]  # the checked reading first
    assert dictionary["sharp"] == ["SH AA R P", "SH AA P"]  # American, then the British reading
    bad = {w: p for w, prons in dictionary.items() for p in prons if not set(p.split()) <= phones}
    assert not bad
    assert dictionary["ct"] == ["S IY T IY"]  # the CMU dictionary says "court"


def test_test_questions_are_held_out_of_the_language_model(shared_data) -> None:
    from lightbox.speech.language_model import build_corpus, dev_questions

    held = read_questions() + dev_questions(shared_data)
    corpus = build_corpus(shared_data, held)
    sentences = set(corpus.sentences)
    assert corpus.held_out > 0
    assert not [q for q in held if " ".join(spoken_words(q)) in sentences]
    assert len(read_questions()) >= 60


def test_recogniser_transcribes_a_spoken_question() -> None:
    audio = read_for_recogniser(QUESTION_WAV)
    heard = SpeechRecognizer().transcribe(audio)
    assert heard.text == "is there a pneumothorax on the left"  # the "um" is a filler, not a word
    assert heard.audio_seconds == pytest.approx(2.08, abs=0.05)
    stock = SpeechRecognizer("stock").transcribe(audio)
    assert "pneumothorax" not in stock.text  # the stock dictionary lacks the word
    silence = SpeechRecognizer().transcribe(np.zeros(16000, np.int16))
    assert silence.text == ""


def test_a_recording_gives_the_same_words_whatever_was_said_before() -> None:
    """pocketsphinx carried its cepstral mean from one utterance into the next: this noisy
    "is there an infarct" came out as "is there are the infarcts" from a fresh recogniser and as
    "is there right infarcts" after another question, a side the speaker never said."""
    infarct = read_for_recogniser(DATA / "question_infarct_noisy.wav")  # espeak-ng en-us+f2, 165 wpm, brown noise
    recognizer = SpeechRecognizer()
    first = recognizer.transcribe(infarct)
    recognizer.transcribe(read_for_recogniser(QUESTION_WAV))
    again = recognizer.transcribe(infarct)
    assert again.text == first.text == SpeechRecognizer().transcribe(infarct).text
    assert [w.posterior for w in again.words] == [w.posterior for w in first.words]
    assert "right" not in again.text


def test_int16_audio_reaches_the_recogniser_sample_for_sample() -> None:
    from lightbox.speech.audio import to_mono_float, to_pcm16

    every_value = np.arange(-32768, 32768, dtype=np.int16)
    assert np.array_equal(to_pcm16(to_mono_float(every_value)), every_value)
    assert to_pcm16(np.array([1.5, -1.5])).tolist() == [32767, -32768]  # clipped, never wrapped


def test_spoken_sides_and_negations_are_named_for_the_reader_to_check() -> None:
    from lightbox.speech.readback import check_sentence, words_to_confirm

    heard = SpeechRecognizer().transcribe(read_for_recogniser(QUESTION_WAV))
    assert heard.to_confirm == ("left",)
    assert [w.word for w in heard.words] == heard.text.split()
    assert all(0.0 <= w.posterior <= 1.0 for w in heard.words)
    assert words_to_confirm("is there a pleural effusion") == ()
    assert words_to_confirm("which side is no pneumothorax or and") == ("no",)
    assert words_to_confirm("is the right lung larger than the left") == ("right", "left")
    # the options of an alternative question: a swap cannot change what is asked
    assert words_to_confirm("is the effusion on the left or on the right") == ()
    assert words_to_confirm("is the heart enlarged or not") == ()
    assert words_to_confirm("is the right lung larger than the left or right") == ("right",)
    assert words_to_confirm("is there left or right") == ()
    assert words_to_confirm("is the left lung or the left kidney enlarged") == ("left",)  # one side named twice
    assert words_to_confirm("is there bilateral opacity without effusion") == ("bilateral", "without")
    assert words_to_confirm("is the lung leftover") == ()  # whole words only
    # two alternative questions in one: both pairs are options
    assert words_to_confirm("is the left or right lung larger and is the left or right kidney smaller") == ()
    # an "or" before the first side does not make a pair of sides an alternative, nor a side after it an option
    assert words_to_confirm("is the heart or left lung enlarged on the right") == ("left", "right")
    assert words_to_confirm("is there an effusion or left consolidation") == ("left",)
    assert words_to_confirm("is the heart not enlarged") == ("not",)
    # every side word the recogniser knows, checked against its dictionary
    dictionary = {line.split()[0].split("(")[0] for line in (radiology_model_dir() / "radiology.dict").read_text().splitlines()
                  if line.strip()}
    from lightbox.speech.readback import SIDE_WORDS

    assert SIDE_WORDS.issubset(dictionary)
    assert {w for w in dictionary if w.startswith(("left", "right", "bilateral", "unilateral", "contralateral",
                                                   "ipsilateral"))} <= SIDE_WORDS
    assert words_to_confirm("is the effusion unilateral") == ("unilateral",)
    assert check_sentence(("left",)) == "Heard the side 'left': a wrong side changes the question, so check it."
    assert check_sentence(("no",)).startswith("Heard the negation 'no':")
    assert check_sentence(("left", "not")).startswith("Heard the side and negation 'left', 'not':")
    assert check_sentence(("left", "right", "bilateral", "both")).startswith("Heard the side 'left', 'right', ")
    assert check_sentence(("no", "not", "without", "none")).startswith("Heard the negation 'no', 'not', ")


def test_frequency_warping_recovers_a_voice_with_higher_formants() -> None:
    """The same question played 16 % faster (every frequency, formants included, 16 % higher,
    as for a speaker with a shorter vocal tract): one decoding at the acoustic model's own
    frequency scale gets a word wrong; the shipped warps pick 1.12 and get all of it."""
    import json

    from lightbox.speech.audio import resample, to_pcm16
    from lightbox.speech.recognizer import radiology_model_dir

    audio = read_for_recogniser(QUESTION_WAV)
    higher = to_pcm16(resample(audio.astype(np.float32) / 32768, 18500, 16000))
    shipped = json.loads((radiology_model_dir() / "decoder.json").read_text())
    assert shipped["vtln_warps"] == [0.88, 1.0, 1.12]
    unwarped = SpeechRecognizer(settings={**shipped, "vtln_warps": [1.0]})
    assert unwarped.transcribe(higher).text != "is there a pneumothorax on the left"
    heard = SpeechRecognizer().transcribe(higher)
    assert (heard.text, heard.warp) == ("is there a pneumothorax on the left", 1.12)


def test_missing_language_model_is_a_clear_message(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LIGHTBOX_SPEECH_MODEL_DIR", str(tmp_path))
    with pytest.raises(SpeechUnavailable, match="radiology.lm.bin, radiology.dict"):
        SpeechRecognizer()
    with pytest.raises(ValueError, match="unknown language model"):
        SpeechRecognizer("klingon")


@needs_espeak
def test_radiology_model_beats_the_stock_model_on_spoken_questions(tmp_path) -> None:
    """A slice of the synthesised test set (every voice, speed and noise condition occurs)."""
    from lightbox.speech.evaluate import evaluate
    from lightbox.speech.testset import VOICES, synthesise_test_set

    utterances = synthesise_test_set(tmp_path, read_questions()[:15])
    assert {u.voice for u in utterances} == set(VOICES) and any(u.noise for u in utterances)
    result = evaluate(tmp_path)
    radiology, stock = result["models"]["radiology"], result["models"]["stock"]
    assert radiology["wer"] < 0.5 * stock["wer"]
    assert radiology["real_time_factor"] < 1.0


@needs_espeak
def test_reading_aloud_writes_speech(tmp_path) -> None:
    from lightbox.speech.tts import Speaker

    Speaker().speak("No pneumothorax.", to_wav=str(tmp_path / "answer.wav")).wait(30)
    samples, rate = read_wav(tmp_path / "answer.wav")
    assert samples.size / rate > 0.5 and level_dbfs(samples) > -40


def test_reading_aloud_without_espeak_says_what_to_install(monkeypatch, tmp_path) -> None:
    from lightbox.speech.tts import Speaker, SpeechOutputUnavailable, tts_available

    monkeypatch.setenv("PATH", str(tmp_path))
    assert not tts_available()
    with pytest.raises(SpeechOutputUnavailable, match="apt-get install espeak-ng"):
        Speaker()


def test_noise_floor_is_faint_and_reproducible() -> None:
    from lightbox.speech.audio import add_noise_floor

    silence = np.zeros(16000, np.int16)
    a, b = add_noise_floor(silence), add_noise_floor(silence)
    assert np.array_equal(a, b)  # fixed seed: the same audio always decodes the same way
    assert -53.5 < level_dbfs(a) < -50.5
    loud = np.full(100, 32767, np.int16)
    assert add_noise_floor(loud).max() == 32767  # clipped, never wrapped around
