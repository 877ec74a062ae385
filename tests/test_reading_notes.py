"""What a reader is told about the image beside its pixels. A DX, MG or IO image FOR PROCESSING
(Presentation Intent Type, PS3.3 C.8.11.1.1.1) holds the detector's raw values, to be processed
before anyone reads them: it was shown like any film, without a word, and drafted from. Now it is
said in the warnings and ``inspect``, in the corner of the pane, and in the AI's notice; a FOR
PRESENTATION image says nothing. Likewise a quality control image (a phantom), and the contrast
agent of an enhanced series in the corner."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_film

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import FOR_PROCESSING_WARNING, load_film


def _dx(folder: Path, intent: str) -> Path:
    path = write_film(folder / "dx.dcm", (np.arange(64 * 64).reshape(64, 64) % 4000).astype(np.uint16), modality="DX")
    ds = pydicom.dcmread(path)
    ds.PresentationIntentType = intent
    ds.save_as(path)
    return folder


@pytest.mark.parametrize("intent", ["FOR PROCESSING", "FOR PRESENTATION"])
def test_an_image_for_processing_is_said_in_the_warnings_the_corner_and_the_ai_notice(tmp_path: Path, intent: str) -> None:
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_path
    from lightbox.viewer.views.film_scene import FilmScene

    folder = _dx(tmp_path / "dx", intent)
    raw = intent == "FOR PROCESSING"
    (series,) = build_index(folder).all_series()
    film = load_film(series)
    assert (FOR_PROCESSING_WARNING in film.warnings) == raw
    assert FOR_PROCESSING_WARNING.startswith("FOR PROCESSING (Presentation Intent Type, PS3.3 C.8.11.1.1.1): ")
    corner = FilmScene(film).corners.texts["lower_right"]
    assert corner.startswith("FOR PROCESSING - not for reading\n") == raw
    opened, _ = open_path(folder)
    _, _, notice = model_images(opened)
    assert ("The image is FOR PROCESSING" in notice) == raw


@pytest.mark.parametrize(("value", "said"), [("YES", "a quality control image (Quality Control Image YES"),
                                             ("BOTH", "a quality control object is in the image beside the patient"),
                                             ("NO", None)])
def test_a_quality_control_image_is_said(tmp_path: Path, value: str, said: str | None) -> None:
    """Quality Control Image (0028,0300): YES is a phantom or test object, not a patient."""
    path = write_film(tmp_path / "qc" / "cr.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(path)
    ds.QualityControlImage = value
    ds.save_as(path)
    (series,) = build_index(tmp_path / "qc").all_series()
    notes = [w for w in load_film(series).warnings if "quality control" in w]
    if said is None:
        assert notes == []
    else:
        assert len(notes) == 1 and notes[0].startswith(said)
    from lightbox.viewer.views.film_scene import FilmScene

    corner = FilmScene(load_film(series)).corners.texts["lower_right"]
    assert corner.startswith("QUALITY CONTROL IMAGE\n") == (value == "YES")
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_path

    _, _, notice = model_images(open_path(tmp_path / "qc")[0])
    assert ("The image is a quality control image (a phantom or test object, not a patient)" in notice) == (value == "YES")


def test_a_quality_control_ct_is_said_to_the_ai_too(tmp_path: Path) -> None:
    """A CT of a phantom (Quality Control Image YES on each slice): the volume's warnings and the
    AI's notice say so."""
    from dicom_factory import axial_positions, restamp, write_ct_series

    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_path

    restamp(write_ct_series(tmp_path / "ct", axial_positions(4), rows=16, columns=16), QualityControlImage="YES")
    opened, _ = open_path(tmp_path / "ct")
    assert opened.volume is not None and any(w.startswith("a quality control image (") for w in opened.volume.warnings)
    assert "The image is a quality control image" in model_images(opened)[2]


def test_a_contrast_enhanced_series_says_its_agent_in_the_corner(tmp_path: Path) -> None:
    """Contrast/Bolus Agent (0018,0010, C.7.6.4) under the series in the upper right corner of
    its panes ("C+ OMNIPAQUE 350"); a plain series (the attribute empty, as type 2 allows) says
    nothing."""
    from dicom_factory import axial_positions, restamp, write_ct_series

    from lightbox.app.compose import open_path
    from lightbox.viewer.views.mpr_scene import MprScene
    from lightbox.viewer.views.text import study_block

    restamp(write_ct_series(tmp_path / "ct", axial_positions(4), rows=16, columns=16), ContrastBolusAgent="OMNIPAQUE 350",
            SeriesDescription="CT CHEST C+")
    opened, _ = open_path(tmp_path / "ct")
    assert opened.volume is not None
    assert study_block(opened.volume.metadata).split("\n")[-2:] == ["CT CHEST C+", "C+ OMNIPAQUE 350"]
    from lightbox.viewer.display import VolumeDisplay

    scene = MprScene(opened.volume, VolumeDisplay(), "axial")
    assert scene.corners.texts["upper_right"].endswith("\nC+ OMNIPAQUE 350")
    for plain in ("", "NONE", "No", "no contrast"):  # a plain series, however it says so
        assert "C+" not in study_block({"series_description": "CT CHEST", "contrast_agent": plain})
