"""A small model asked what it was not trained on can loop on greedy decoding until its token
budget ends: the demo model answered a spoken "which side is the effusion on" about a real chest
film with 32 "P" tokens, then "sided" 30 times. Decoding stops where a run of tokens is said a
third time (lightbox.inference.generate.repeats_a_loop), and the reader is told."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightbox.app.cli import main
from lightbox.inference.generate import REPETITION_NOTICE, repeats_a_loop


@pytest.mark.parametrize(("generated", "token", "loops"), [
    ([5, 5], 5, True),  # one token, a third time
    ([5], 5, False),  # twice is not a loop ("no no")
    ([1, 2, 1, 2, 1], 2, True),  # a two-token run, a third time
    ([9, 1, 2, 3, 1, 2, 3, 1, 2], 3, True),
    ([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3], 4, True),  # four tokens: the longest run looked for
    ([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4], 5, False),  # five: a sentence may come back
    ([7, 5, 5], 6, False),
    ([5, 5, 6], 5, False),  # not in a row
    ([], 5, False),
])
def test_a_loop_is_a_run_of_up_to_four_tokens_said_three_times_in_a_row(generated: list[int], token: int, loops: bool) -> None:
    assert repeats_a_loop(generated, token) is loops


def test_a_looping_answer_about_a_real_film_stops_and_says_why(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The wording the speech recogniser heard, typed: the answer stops at the loop with the notice
    (it ran to the 64-token budget), and what it says is what the model generated before it."""
    from lightbox.inference.generate import Chat, GenerationOptions, VisionLanguageModel
    from lightbox.inference.models import default_model_dir

    film = shared_data / "cr" / "CR-MONO1-10-chest.dcm"
    assert main(["ask", str(film), "Which side is effusion on", "--json", "--no-image-check"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["stopped"] == "repetition" and REPETITION_NOTICE in said["notice"]
    assert said["new_tokens"] < 16
    # asked through a Chat, as the window's dock asks: the cache holds exactly the tokens answered
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_path

    images, _, _ = model_images(open_path(film)[0])
    chat = Chat(VisionLanguageModel.from_folder(default_model_dir(), device="cpu"), images=images)
    result = chat.ask("Which side is effusion on", options=GenerationOptions(max_new_tokens=64))
    assert (result.stopped, result.text) == ("repetition", said["text"])
    assert next(iter(chat.past.values())).shape[2] == len(chat.token_ids)
