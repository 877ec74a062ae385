"""What kind of study the AI is asked about, field by field, and what a model's declaration
allows: every value below is written out by hand from the DICOM header rules (Modality,
BodyPartExamined, ViewPosition; PS3.3 C.7.3.1, PS3.16 Annex L) and English articles, not read
back from the code. Written for the mutants `tools/mutation.py lightbox/inference/study.py`
found alive (61.7 % killed before these tests): a view never read, a missing modality taken for
a modality, a declaration's "default" entry ignored would each have passed every other test."""
from __future__ import annotations

import pytest

from lightbox.inference.study import StudyContext, body_part_from_text, check_study, declared_names, study_context


@pytest.mark.parametrize(("text", "part"), [
    ("CHEST", "CHEST"), ("Thorax PA", "CHEST"), ("IRM cérébrale", "HEAD"), ("Schädel", "HEAD"),
    ("CT ABD/PELVIS", "ABDOMEN"), ("L-SPINE", "SPINE"), ("KNEE LEFT", "EXTREMITY"),
    ("CT THORACIC SPINE", "SPINE"),  # "thoracic" names the chest too: the spine is what is imaged
    ("CHEST SPINE", "SPINE"),
    ("CT SPINE ABDOMEN", ""),  # two body parts named, neither a chest: none chosen
    ("CHEST ABDOMEN", ""),  # two: none, never the first
    ("", ""), ("CT W/O CONTRAST", ""),
])
def test_body_part_words(text: str, part: str) -> None:
    assert body_part_from_text(text) == part


def test_the_header_fields_reach_the_study_context() -> None:
    film = study_context({"modality": " cr ", "body_part": "CHEST", "view_position": " pa ",
                          "study_description": "ABDOMEN"})  # the header field wins over a description
    assert film == StudyContext("CR", "CHEST", "PA", False, "BodyPartExamined")
    assert study_context({"modality": "DX", "view_position": "LL", "study_description": "Thorax"}) == StudyContext(
        "DX", "CHEST", "lateral", False, "study description")
    assert study_context({"modality": "MR", "series_description": "brain FLAIR"}, True) == StudyContext(
        "MR", "HEAD", "", True, "series description")
    assert study_context({"view_position": "OBLIQUE"}) == StudyContext("", "", "", False, "")  # nothing stated
    assert study_context({}).group == "" and study_context({}).words == "image"  # no modality is not a modality


@pytest.mark.parametrize(("study", "name", "described"), [
    (StudyContext("CR", "CHEST"), "chest radiograph", "a chest radiograph"),
    (StudyContext("DX", "ABDOMEN"), "abdomen radiograph", "an abdomen radiograph"),
    (StudyContext("DX", "EXTREMITY"), "extremity radiograph", "an extremity radiograph"),
    (StudyContext("CR"), "radiograph (body part not stated)", "a radiograph (body part not stated)"),
    (StudyContext("XC", "HEAD"), "image of the head (modality not stated)", "an image of the head (modality not stated)"),
    (StudyContext("XC"), "image (modality and body part not stated)", "an image (modality and body part not stated)"),
    (StudyContext("MR", "HEAD"), "MR of the head", "an MR of the head"),
    (StudyContext("CT", "CHEST"), "CT of the chest", "a CT of the chest"),
    (StudyContext("CT"), "CT (body part not stated)", "a CT (body part not stated)"),
    (StudyContext("NM", "CHEST"), "NM of the chest", "an NM of the chest"),
    (StudyContext("US", "ABDOMEN"), "US of the abdomen", "a US of the abdomen"),  # "you-ess"
    (StudyContext("XA"), "XA (body part not stated)", "an XA (body part not stated)"),  # "ex-ay"
    (StudyContext("MG"), "mammogram (body part not stated)", "a mammogram (body part not stated)"),
    (StudyContext("MG", side="right"), "right mammogram", "a right mammogram"),
    (StudyContext("DX", "EXTREMITY", region="knee", side="left"), "left knee radiograph", "a left knee radiograph"),
    (StudyContext("MR", "EXTREMITY", region="ankle", side="right"), "MR of the right ankle", "an MR of the right ankle"),
    (StudyContext("DX", "EXTREMITY", side="bilateral"), "bilateral extremity radiograph", "a bilateral extremity radiograph"),
    (StudyContext("DX", side="left"), "radiograph (body part not stated)", "a radiograph (body part not stated)"),
])
def test_how_messages_name_a_study(study: StudyContext, name: str, described: str) -> None:
    assert study.name() == name
    assert study.describe() == described


def test_one_letter_and_acronym_articles() -> None:
    assert StudyContext("X").describe() == "an X (body part not stated)"
    assert StudyContext("F").describe() == "an F (body part not stated)"
    assert StudyContext("Fx").describe() == "a Fx (body part not stated)"  # not a spelled acronym


DEMO = {"draft": [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}],
        "default": [{"modalities": ["CT"], "body_parts": ["head"]}]}


def test_a_declarations_default_entry_covers_the_tasks_it_does_not_name() -> None:
    head_ct = StudyContext("CT", "HEAD")
    assert check_study(DEMO, "ask", head_ct).allowed  # by "default" (body parts in any case)
    refused = check_study(DEMO, "ask", StudyContext("CT", "CHEST"))
    assert not refused.allowed and refused.notice == (
        "the model was not trained to answer questions for a CT of the chest (only for CT of the head); "
        "nothing was generated.")
    assert check_study(DEMO, "segment", StudyContext("MR", "HEAD")).notice == (
        "the model was not trained to segment for an MR of the head (only for CT of the head); nothing was generated.")
    assert check_study({"draft": DEMO["draft"]}, "ask", StudyContext("US")).allowed  # nothing for "ask": anything
    assert check_study({}, "draft", StudyContext("US", "ABDOMEN")).allowed  # an empty declaration: no limits


def test_an_entry_without_modalities_or_body_parts_limits_only_what_it_names() -> None:
    any_chest = {"ask": [{"body_parts": ["CHEST"]}]}
    assert check_study(any_chest, "ask", StudyContext("MR", "CHEST")).allowed
    assert not check_study(any_chest, "ask", StudyContext("MR", "HEAD")).allowed
    any_ct = {"ask": [{"modalities": ["CT"]}]}
    assert check_study(any_ct, "ask", StudyContext("CT", "ABDOMEN")).allowed
    assert not check_study(any_ct, "ask", StudyContext("MR", "ABDOMEN")).allowed


def test_an_unstated_modality_or_body_part_is_read_as_the_one_kind_declared() -> None:
    chest_films = {"draft": [{"modalities": ["radiograph"], "body_parts": ["CHEST"]}]}
    png = check_study(chest_films, "draft", StudyContext("XC"), "demo")
    assert png.allowed and png.study == StudyContext("DX", "CHEST", "", False, "assumed")
    assert png.notice == ("The file does not state its modality and body part: demo reads it as a chest radiograph, "
                          "the only kind it was trained for.")
    # a body part the file does state is kept, and where it came from
    stated = check_study(chest_films, "draft", StudyContext("XC", "CHEST", "", False, "series description"))
    assert stated.study == StudyContext("DX", "CHEST", "", False, "series description")
    assert stated.notice.startswith("The file does not state its modality: the model reads it as a chest radiograph")
    # a declaration with any modality: the unstated modality stays unstated
    any_modality_chest = {"draft": [{"body_parts": ["CHEST"]}]}
    assumed = check_study(any_modality_chest, "draft", StudyContext("XC"))
    assert assumed.allowed and assumed.study == StudyContext("XC", "CHEST", "", False, "assumed")
    # a declaration with any body part: nothing to assume (it once said it "reads it as a CT (body
    # part not stated), the only kind it was trained for")
    any_part_ct = {"draft": [{"modalities": ["CT"]}]}
    kept = check_study(any_part_ct, "draft", StudyContext("CT"))
    assert kept.allowed and kept.study == StudyContext("CT") and kept.notice == "The file does not state its body part."
    # a CT that states no body part, and a model for CT heads only: read as a head CT, and said so
    head = check_study({"draft": [{"modalities": ["CT"], "body_parts": ["HEAD"]}]}, "draft", StudyContext("CT"))
    assert head.allowed and head.study == StudyContext("CT", "HEAD", "", False, "assumed")
    assert head.notice.startswith("The file does not state its body part: the model reads it as a CT of the head,")
    # a model for films of any body part: the modality is assumed, the body part stays unstated
    films = check_study({"draft": [{"modalities": ["radiograph"]}]}, "draft", StudyContext("XC"))
    assert films.allowed and films.study == StudyContext("DX", "", "", False, "")
    assert films.notice.startswith("The file does not state its modality and body part: the model reads it as a "
                                   "radiograph (body part not stated),")
    # an MR with no body part, and a model for chest films only: nothing fits
    refused = check_study(chest_films, "draft", StudyContext("MR"))
    assert refused.allowed is False and refused.study == StudyContext("MR")
    assert "(only for chest radiographs)" in refused.notice
    # a CT without a body part, and a model for chests of any modality: a chest CT
    chest_ct = check_study({"ask": [{"body_parts": ["CHEST"]}]}, "ask", StudyContext("CT"))
    assert chest_ct.allowed and chest_ct.study == StudyContext("CT", "CHEST", "", False, "assumed")
    # a film stating its body part but not its modality, and a model for CT of any body part
    ct_chest = check_study({"ask": [{"modalities": ["CT"]}]}, "ask", StudyContext("XC", "CHEST", "", False, "BodyPartExamined"))
    assert ct_chest.allowed and ct_chest.study == StudyContext("CT", "CHEST", "", False, "BodyPartExamined")
    # a group Lightbox has no DICOM modality for: the declaration's own word
    angio = check_study({"ask": [{"modalities": ["XA"], "body_parts": ["HEAD"]}]}, "ask", StudyContext("XC"))
    assert angio.study == StudyContext("XA", "HEAD", "", False, "assumed")


@pytest.mark.parametrize(("entries", "words"), [
    ([{"modalities": ["radiograph"], "body_parts": ["CHEST"]}], "chest radiographs"),
    ([{"modalities": ["radiograph"], "body_parts": ["chest", "abdomen"]}], "chest / abdomen radiographs"),
    ([{"modalities": ["radiograph"]}], "radiographs"),
    ([{"modalities": ["radiograph", "CT"], "body_parts": ["HEAD"]}], "radiographs or CT of the head"),
    ([{"modalities": ["CT", "MR"]}], "CT or MR"),
    ([{"modalities": ["CT"], "body_parts": ["HEAD", "CHEST"]}], "CT of the head / chest"),
    ([{"body_parts": ["KNEE"]}], "any modality of the knee"),  # a body part no group names: as declared
    ([{"body_parts": ["HEAD"]}, {"modalities": ["US"]}], "any modality of the head; US"),
])
def test_what_a_declaration_covers_in_words(entries, words: str) -> None:
    assert declared_names(entries) == words


@pytest.mark.parametrize(("metadata", "words"), [
    # a paired part's prompt names the side (Image Laterality, PS3.3 C.7.6.1.1.3) and the region
    ({"modality": "CR", "body_part": "KNEE", "laterality": "L"}, "left knee radiograph"),
    ({"modality": "DX", "body_part": "HAND", "laterality": "R"}, "right hand radiograph"),
    ({"modality": "DX", "body_part": "KNEE", "laterality": "B"}, "bilateral knee radiograph"),
    ({"modality": "DX", "body_part": "HAND", "laterality": "U"}, "hand radiograph"),  # U: unpaired, no side
    ({"modality": "DX", "body_part": "ANKLE", "laterality": " l "}, "left ankle radiograph"),
    ({"modality": "MR", "study_description": "MR KNEE", "laterality": "R"}, "MR right knee"),
    ({"modality": "DX", "series_description": "hand and wrist", "laterality": "L"}, "left extremity radiograph"),  # two regions
    ({"modality": "MG", "laterality": "R"}, "right mammogram"),
    ({"modality": "MG"}, "mammogram"),
    # an unpaired part names none, whatever the header says
    ({"modality": "CR", "body_part": "CHEST", "laterality": "L"}, "chest radiograph"),
    ({"modality": "MR", "body_part": "HEAD", "laterality": "R"}, "MR head"),
])
def test_a_paired_body_part_is_named_with_its_side(metadata: dict[str, str], words: str) -> None:
    assert study_context(metadata).words == words


def test_the_region_is_read_from_the_field_the_body_part_came_from() -> None:
    # BodyPartExamined says knee; the description's "hand" is not what the prompt names
    knee = study_context({"modality": "DX", "body_part": "KNEE", "study_description": "HAND"})
    assert knee.region == "knee" and knee.body_part_source == "BodyPartExamined"
    wrist = study_context({"modality": "DX", "study_description": "CT?", "series_description": "WRIST PA"})
    assert wrist.region == "wrist" and wrist.words == "wrist radiograph"
