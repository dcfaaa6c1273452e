"""Omni-modal runs: text image, audio and video reach the model as parts; ETA on each; the Omni×R table."""

import json
import re
import shutil

import pytest

from modgap.isobench import write_gallery, write_report
from modgap.isobench.results import RESULTS, read_results
from modgap.isobench.runner import plan_jobs, run_bench
from modgap.isobench.suite import generate, load_suite, write_suite
from modgap.models.chat import AudioPart, ImagePart, VideoPart
from modgap.models.mock import MockBackend

MODALITIES = ("text_image", "audio", "video")


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.skip("audio needs espeak-ng (apt-get install espeak-ng; `make setup` does it)")
    folder = tmp_path_factory.mktemp("omni")
    records = generate(["graph_connectivity"], 4, seed=0, workers=1, modalities=MODALITIES)
    write_suite(records, folder, {})
    return folder


def _literate(suite):
    """Says what it was shown; answers right from a text form, wrong otherwise (deaf and blind, but reads)."""
    answers = {text: r.instance.answer for r in load_suite(suite) for text in r.text.values()}

    def reply(request) -> str:
        prompt = request.messages[-1].text
        kinds = [type(p).__name__ for p in request.messages[-1].parts if not hasattr(p, "text")]
        if "Transcribe" in prompt:
            return "transcription: " + ",".join(kinds)
        right = next((a for text, a in answers.items() if text in prompt), None)
        return f"saw {','.join(kinds) or 'text'}\nAnswer: {right if right and not kinds else 'cannot tell'}"

    return reply


def test_every_modality_reaches_the_model_as_its_own_part(suite, tmp_path):
    records = load_suite(suite)
    assert all(set(r.media) == set(MODALITIES) and len(r.frames) >= 2 for r in records)
    jobs = plan_jobs(records, ["text", "image", *MODALITIES], ["direct", "eta"])
    assert {j.representation for j in jobs if j.strategy == "eta"} == {"image", *MODALITIES}

    backend = MockBackend(_literate(suite))
    run_bench(backend, suite, tmp_path, ["text", "image", *MODALITIES], ["direct", "eta"])
    results = read_results(tmp_path / RESULTS)[0].values()
    seen = {(r["representation"], r["strategy"]): r["steps"][0] for r in results}
    assert seen[("audio", "direct")].startswith("saw AudioPart")
    assert seen[("video", "direct")].startswith("saw VideoPart")
    assert seen[("text_image", "direct")].startswith("saw ImagePart")
    assert seen[("audio", "eta")] == "transcription: AudioPart"
    video = next(p for r in backend.requests for m in r.messages for p in m.parts if isinstance(p, VideoPart))
    assert len(video.frames) >= 2 and all(isinstance(f, ImagePart) for f in video.frames)
    assert video.mp4_bytes()[4:8] == b"ftyp"
    audio = next(p for r in backend.requests for m in r.messages for p in m.parts if isinstance(p, AudioPart))
    assert audio.wav()[:4] == b"RIFF"
    eta = [r for r in results if r["strategy"] == "eta"]
    assert len(eta) == 4 * len(records) and all(len(r["steps"]) == 2 for r in eta)

    report = write_report([tmp_path], tmp_path / "report", n_boot=100)
    text = report.report.read_text()
    assert "Omni-modal: the same items as text, image, audio and video" in text
    rows = json.loads((tmp_path / "report" / "report.json").read_text())["comparisons"]
    omni = {
        (c["representation"], c["strategy"]): c
        for c in rows
        if c["comparison"] == "omni" and c["scope"] == "all"
    }
    assert set(omni) == {(m, s) for m in ("image", *MODALITIES) for s in ("direct", "eta")}
    for c in omni.values():  # the text side answers right, every other modality wrong: gap -100 points
        assert (c["accuracy"], c["baseline_accuracy"], c["gap"]) == (0.0, 1.0, -1.0)


def test_a_run_asking_for_modalities_the_suite_lacks_says_how_to_make_them(tmp_path):
    write_suite(generate(["math_parity"], 1, seed=0, workers=1), tmp_path / "s", {})
    with pytest.raises(ValueError, match="has no audio: generate it with --modalities"):
        run_bench(MockBackend(), tmp_path / "s", tmp_path / "r", ["audio"], ["direct"])


def test_a_local_image_model_is_refused_audio_up_front(suite, tmp_path):
    backend = MockBackend()
    backend.accepts = {"image"}
    with pytest.raises(ValueError, match="does not accept audio or video input"):
        run_bench(backend, suite, tmp_path, ["image", "audio", "video"], ["direct"])


def test_the_gallery_plays_audio_and_video_from_the_suite(suite, tmp_path):
    page = write_gallery(suite, tmp_path / "pages" / "gallery.html", per_task=1).read_text()
    sources = re.findall(r'<(?:audio|video|img) [^>]*src="([^"]+)"', page)
    linked = [s for s in sources if not s.startswith("data:")]
    assert {s.rsplit(".", 1)[1] for s in linked} == {"png", "wav", "mp4"}
    assert all((tmp_path / "pages" / s).resolve().is_file() for s in linked)


def test_a_run_through_serve_on_a_tiny_vlm_records_why_audio_and_video_fail(suite, tmp_path):
    from modgap.models import BackgroundServer, HFBackend, make_app, tiny_vlm_path
    from modgap.models.openai_backend import OpenAIBackend
    from modgap.models.spec import parse_spec

    local = HFBackend(tiny_vlm_path("llava"), name="llava", device="cpu")
    with BackgroundServer(make_app(local)) as url:
        client = OpenAIBackend(parse_spec(f"openai:llava@{url}"), video_as="video_url")
        summary = run_bench(client, suite, tmp_path, ["audio", "video"], ["direct"], limit=1)
    errors = {r["representation"]: r["error"] for r in summary.records}
    assert "llava does not accept audio input" in errors["audio"]
    assert "llava does not accept video input" in errors["video"]
