"""An MR map's Real World Value Mapping (PS3.3 C.7.6.16.2.11) read as its quantity and unit: an
ADC map's values under the cursor, in an ROI and in its window in mm²/s. Every expected value is
worked out here from the stored values by hand: RWV = slope × stored + intercept, the mapping
being from stored values, not from the rescaled ones (Philips MR states both)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series, write_enhanced_ct
from pydicom.dataset import Dataset

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume


def _mapping(slope: float | None = 1e-6, intercept: float = 0.0, unit: str = "mm2/s", table: bool = False) -> Dataset:
    item = Dataset()
    item.LUTExplanation, item.LUTLabel = "Apparent Diffusion Coefficient", "ADC"
    item.RealWorldValueFirstValueMapped, item.RealWorldValueLastValueMapped = 0, 4095
    if slope is not None:
        item.RealWorldValueSlope, item.RealWorldValueIntercept = slope, intercept
    if table:
        item.RealWorldValueLUTData = [0.0, 1.0, 2.0]
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = unit, "UCUM", unit
    item.MeasurementUnitsCodeSequence = [code]
    return item


def _adc_stack(folder: Path, mappings: list[Dataset | None]) -> Path:
    """An MR stack (dicom_factory: slice n stores 1000 + n, a marker square storing 1500 at rows
    2..5, columns 3..7), rescaled as Philips states it (× 2 − 100), each slice with its mapping."""
    paths = write_ct_series(folder, axial_positions(len(mappings), spacing=2.0), slope=2.0, intercept=-100.0,
                            window=(2900, 400))
    for path, mapping in zip(paths, mappings, strict=True):
        ds = pydicom.dcmread(path)
        ds.Modality, ds.SOPClassUID = "MR", "1.2.840.10008.5.1.4.1.1.4"
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        if mapping is not None:
            ds.RealWorldValueMappingSequence = [mapping]
        ds.save_as(path)
    return folder


def test_an_adc_map_in_mm2_per_s_from_its_stored_values(tmp_path: Path) -> None:
    (series,) = build_index(_adc_stack(tmp_path / "adc", [_mapping()] * 5)).all_series()
    volume = load_volume(series)
    assert volume.unit == "mm2/s" and volume.metadata["real_world_label"] == "ADC"
    k = 2  # slice 2 stores 1002; its marker 1500
    assert volume.array[k, 3, 5] == pytest.approx(1500e-6) and volume.array[k, 15, 15] == pytest.approx(1002e-6)
    # the stated window, 2900 / 400 over rescaled values (stored 1500 / 200): 0.0015 / 0.0002 mm²/s
    assert volume.window is not None and volume.window.function == "LINEAR_EXACT"
    assert (volume.window.center, volume.window.width) == (pytest.approx(1500e-6), pytest.approx(200e-6))
    assert volume.value_decimals == 6  # four significant digits of 0.0015


def test_the_cursor_reads_the_quantity_with_its_unit(qtbot, tmp_path: Path, monkeypatch) -> None:
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = opened_window(qtbot, _adc_stack(tmp_path / "adc", [_mapping(2e-6, 1e-4)] * 5))
    scene = window.area.active_scene()
    world = scene.volume.geometry.index_to_world(np.array([[5.0, 3.0, 2.0]]))[0]  # the marker, on every slice
    x, y = scene.world_to_display(world)
    # stored 1500: 2e-6 × 1500 + 1e-4 = 0.0031 mm²/s
    assert scene.status_text(x, y).endswith("0.003100 mm2/s")


def test_mappings_that_cannot_be_used_are_said_and_the_values_kept(tmp_path: Path) -> None:
    cases = {
        "table": ([_mapping(None, table=True)] * 3, "its Real World Value Mapping is a table: not applied, "
                                                     "the values are shown as stored"),
        "some": ([_mapping(), None, _mapping()], "only some slices state a Real World Value Mapping: not applied, "
                                                 "the values are shown as stored"),
        "units": ([_mapping(), _mapping(unit="ms"), _mapping()],
                  "the slices' Real World Value Mappings are in different units (mm2/s, ms): not applied, "
                  "the values are shown as stored"),
        "zero": ([_mapping(0.0)] * 3, "its Real World Value Mapping is no usable slope: not applied, "
                                      "the values are shown as stored"),
    }
    for name, (mappings, said) in cases.items():
        (series,) = build_index(_adc_stack(tmp_path / name, mappings)).all_series()
        volume = load_volume(series)
        assert said in volume.warnings, name
        assert volume.unit == "" and volume.array[1, 3, 5] == 2 * 1500 - 100, name  # the rescaled value, as before


def test_slices_mapped_differently_each_get_their_own_and_a_unitless_mapping_has_no_unit(tmp_path: Path) -> None:
    mappings = [_mapping(1e-6 * (n + 1), unit="1") for n in range(3)]
    (series,) = build_index(_adc_stack(tmp_path / "each", mappings)).all_series()
    volume = load_volume(series)
    assert volume.unit == ""
    for k in range(3):  # slice k stores 1000 + k at the background: (k + 1) e-6 × (1000 + k)
        assert volume.array[k, 15, 15] == pytest.approx((k + 1) * 1e-6 * (1000 + k))


def test_an_enhanced_mr_keeps_its_mapping_and_rescale_in_functional_groups(tmp_path: Path) -> None:
    """Frames store 10 (n + 1); the shared Pixel Value Transformation rescales × 2 − 100 and the
    shared Real World Value Mapping gives 0.5 × stored + 3 in ms: frame n is 5 (n + 1) + 3 ms."""
    path = write_enhanced_ct(tmp_path / "t1" / "map.dcm", axial_positions(4, spacing=2.0))
    ds = pydicom.dcmread(path)
    ds.Modality, ds.SOPClassUID = "MR", "1.2.840.10008.5.1.4.1.1.4.1"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence = [_mapping(0.5, 3.0, "ms")]
    ds.save_as(path)
    (series,) = build_index(tmp_path / "t1").all_series()
    volume = load_volume(series)
    assert volume.unit == "ms"
    assert [float(volume.array[k, 0, 0]) for k in range(4)] == pytest.approx([5 * (n + 1) + 3 for n in range(4)])


def test_a_ct_with_a_mapping_stays_in_hounsfield_units(tmp_path: Path) -> None:
    paths = write_ct_series(tmp_path / "ct", axial_positions(3, spacing=2.0))
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.RealWorldValueMappingSequence = [_mapping()]
        ds.save_as(path)
    volume = load_volume(build_index(tmp_path / "ct").all_series()[0])
    assert volume.unit == "HU" and volume.array[1, 3, 5] == 1500 - 1024


def test_a_single_mr_map_opened_as_a_film_reads_its_quantity(tmp_path: Path) -> None:
    from lightbox.viewer.loading import load_film

    (series,) = build_index(_adc_stack(tmp_path / "one", [_mapping()])).all_series()
    film = load_film(series)
    assert film.unit == "mm2/s" and film.values[3, 5] == pytest.approx(1500e-6)
    assert (film.window.center, film.window.width) == (pytest.approx(1500e-6), pytest.approx(200e-6))


def _image(mapping: Dataset | None = None, slope: float | None = None, intercept: float | None = None) -> Dataset:
    ds = Dataset()
    if mapping is not None:
        ds.RealWorldValueMappingSequence = [mapping]
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept or 0.0
    return ds


def test_the_mapping_by_hand() -> None:
    from lightbox.viewer.real_world import RealWorldMapping, real_world_mapping

    # no rescale (slope 1): the mapping as stated; label from the LUT Label
    assert real_world_mapping(_image(_mapping(2e-6, 1e-4))) == (RealWorldMapping(2e-6, 1e-4, "mm2/s", "ADC"), None)
    # a rescale of 4 + 8: RWV = 2e-6 s + 1e-4 with s = (m - 8) / 4: 5e-7 m + (1e-4 - 4e-6)
    mapping, _ = real_world_mapping(_image(_mapping(2e-6, 1e-4), 4.0, 8.0))
    assert mapping is not None and (mapping.scale, mapping.offset) == (pytest.approx(5e-7), pytest.approx(9.6e-5))
    # the label from the LUT Explanation when no LUT Label; none, and no unit, when neither is stated
    item = _mapping(1.0)
    del item.LUTLabel
    assert real_world_mapping(_image(item))[0] == RealWorldMapping(1.0, 0.0, "mm2/s", "Apparent Diffusion Coefficient")
    del item.LUTExplanation, item.MeasurementUnitsCodeSequence
    assert real_world_mapping(_image(item))[0] == RealWorldMapping(1.0, 0.0, "", "")
    # a slope without an intercept is no mapping
    item = _mapping(1.0)
    del item.RealWorldValueIntercept
    assert real_world_mapping(_image(item)) == (None, "its Real World Value Mapping is no usable slope: not applied, "
                                                      "the values are shown as stored")
    assert real_world_mapping(_image()) == (None, None)
    # a rescale no pixel can be put through is read as none (the stored values are shown, as the
    # Modality LUT stage does): the mapping as stated, not NaN everywhere
    unusable = _image(_mapping(2e-6, 1e-4), float("nan"), 5.0)
    assert real_world_mapping(unusable) == (RealWorldMapping(2e-6, 1e-4, "mm2/s", "ADC"), None)
    # a Modality LUT table's output is no line the mapping can be carried over
    table = _image(_mapping())
    table.ModalityLUTSequence = [Dataset()]
    assert real_world_mapping(table) == (None, "its Real World Value Mapping maps stored values that a Modality "
                                               "LUT table turned into others: not applied, the values are shown as "
                                               "the table gives them")


def test_an_enhanced_image_s_frames_each_their_own_mapping_and_the_first_by_default() -> None:
    from lightbox.viewer.real_world import real_world_mapping, stack_mapping

    ds = Dataset()
    frames = []
    for n in range(2):
        group = Dataset()
        group.RealWorldValueMappingSequence = [_mapping(float(n + 1))]
        frames.append(group)
    ds.PerFrameFunctionalGroupsSequence = frames
    assert [real_world_mapping(ds, f)[0].scale for f in (0, 1)] == [1.0, 2.0]  # type: ignore[union-attr]
    assert real_world_mapping(ds)[0].scale == 1.0  # type: ignore[union-attr]
    mappings, notes = stack_mapping([(ds, 1), (ds, 0)])
    assert notes == [] and [m.scale for m in mappings or []] == [2.0, 1.0]


def test_a_stack_without_mappings_says_nothing_and_one_without_a_header_is_partial() -> None:
    from lightbox.viewer.real_world import stack_mapping

    assert stack_mapping([(_image(), 0), (_image(), 0)]) == (None, [])
    assert stack_mapping([]) == (None, [])
    assert stack_mapping([(_image(_mapping()), 0), (None, 0)]) == (
        None, ["only some slices state a Real World Value Mapping: not applied, the values are shown as stored"])


def test_inspect_names_the_quantity_or_why_it_is_not_applied(tmp_path: Path, capsys) -> None:
    from lightbox.app.cli import main

    assert main(["inspect", str(_adc_stack(tmp_path / "adc", [_mapping()] * 2))]) == 0
    assert "      values: ADC in mm2/s (Real World Value Mapping)" in capsys.readouterr().out.splitlines()
    assert main(["inspect", str(_adc_stack(tmp_path / "table", [_mapping(None, table=True)] * 2))]) == 0
    assert "      values: its Real World Value Mapping is a table: not applied, the values are shown as stored" in \
        capsys.readouterr().out.splitlines()
