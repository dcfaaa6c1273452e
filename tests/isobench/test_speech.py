"""The audio representation: spoken forms a listener can follow, and espeak-ng's WAV of them."""

import io
import shutil
import wave

import pytest

from modgap.isobench import TASKS, Instance, create_task
from modgap.isobench.speech import SAMPLE_RATE, SpokenPrinter, phonemes, render_audio, spoken_text, synthesize
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks._functions import parse

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)

PHYSICS = Instance(
    "physics",
    {
        "netlist": "* DC resistor network\nV1 1 0 12\nR1 1 2 24\nR2 2 0 6\nR3 2 0 1\n.end",
        "question": "What is the current through R1?",
        "choices": ["0.4 A", "0.48 A", "0.5 A", "2 A"],
    },
    "0.48 A",
    ["0.4 A", "0.48 A", "0.5 A", "2 A"],
)

SPOKEN = [  # (task, public fields, what a listener hears)
    (
        "math_parity",
        {"expression": "0.43*log(x**2 + 0.66) + 2.0*cos(0.48*x) - 0.58*cos(0.87*x)"},
        "f of x equals 0.43 times the natural log of x squared plus 0.66, plus 2 times cosine of 0.48 x, "
        "minus 0.58 times cosine of 0.87 x.",
    ),
    (
        "math_convexity",
        {"expression": "0.98*x + (1.28*x + 0.384)*log(x + 0.3) - 0.69", "domain": [-0.3, None]},
        "f of x equals 0.98 x plus the quantity 1.28 x plus 0.384, times the natural log of x plus 0.3, "
        "minus 0.69, for x greater than minus 0.3.",
    ),
    (
        "math_convexity",
        {"expression": "0.5*x**2 + 1.2*cosh(0.4*x)", "domain": [None, None]},
        "f of x equals 0.5 x squared plus 1.2 times hyperbolic cosine of 0.4 x, for all real x.",
    ),
    (
        "math_breakpoint",
        {"expression": "Piecewise((1.8*x - 2.5, x < 3.2), (4.54 - 0.4*x, True))"},
        "for x less than 3.2, f of x equals 1.8 x minus 2.5; "
        "for x at least 3.2, f of x equals 4.54 minus 0.4 x.",
    ),
    (
        "graph_maxflow",
        {"adjacency": [[0, 3, 0], [0, 0, 2], [0, 0, 0]], "source": 0, "sink": 2},
        "A water network links 3 towns: Ashford, Bramley and Corbin. "
        "Water flows only one way along each pipe. "
        "From Ashford, pipes lead to Bramley, up to 3 units per hour. "
        "From Bramley, pipes lead to Corbin, up to 2 units per hour. "
        "Water is pumped in at Ashford and delivered to Corbin.",
    ),
    (
        "chess_winner",
        {"fen": "8/7n/5p2/4p1p1/4P1Pp/5P1P/3R2K1/k1R5 b - - 17 62", "pgn": ""},
        "The game is over; this is its final position. White: king on g2; rooks on c1 and d2; "
        "pawns on e4, f3, g4 and h3. Black: king on a1; knight on h7; pawns on e5, f6, g5 and h4. "
        "Black to move.",
    ),
    (
        "chess_puzzle",
        {"fen": "r3k2r/8/8/3pP3/8/8/8/R3K2R w KQkq d6 0 1"},
        "White: king on e1; rooks on a1 and h1; pawn on e5. White may still castle kingside and queenside. "
        "Black: king on e8; rooks on a8 and h8; pawn on d5. Black may still castle kingside and queenside. "
        "White may capture en passant on d6. White to move.",
    ),
    (
        "chemistry",
        {"smiles": "CC(=O)[O-]", "question": "", "choices": []},
        "Atoms other than hydrogen, each with the hydrogens bonded to it: atom 1: carbon with 3 hydrogens. "
        "atom 2: carbon with no hydrogens. atom 3: oxygen with no hydrogens. "
        "atom 4: oxygen with no hydrogens, charge minus 1. Bonds: single bond between atom 1 and atom 2. "
        "double bond between atom 2 and atom 3. single bond between atom 2 and atom 4.",
    ),
    (
        "physics",
        PHYSICS.fields,
        "A 12 volt battery V1 is connected across this network: R1, 24 ohms, "
        "in series with a group of R2, 6 ohms, in parallel with R3, 1 ohm, end of group.",
    ),
    (  # an official-style instance carries its description; its symbols are spoken too
        "physics",
        {"description": "R1 (5 Ω) ∥ R2 (10 Ω) on a source of 2.5 V"},
        "R1, 5 ohms, in parallel with R2, 10 ohms, on a source of 2.5 volts.",
    ),
]


@pytest.mark.parametrize(("task", "fields", "expected"), SPOKEN, ids=[task for task, _, _ in SPOKEN])
def test_spoken_text_reads_the_problem_aloud(task, fields, expected):
    assert spoken_text(Instance(task, fields, "", [])) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("-0.9*sqrt(x - 1.5)", "minus 0.9 times the square root of x minus 1.5,"),
        ("1.2*x*exp(-0.5*x**2)/(x**2 + 0.5)",
         "1.2 x times e to the power of minus 0.5 x squared, divided by the quantity x squared plus 0.5,"),
        ("0.17*x**4 + 2.1*(x - 0.5)**2",
         "0.17 x to the power of 4, plus 2.1 times the quantity x minus 0.5, squared"),
        ("0.3*Abs(x) - x/2 + pi", "minus x divided by 2 plus 0.3 times the absolute value of x, plus pi"),
        ("-3/4", "minus 3 over 4"),
        ("-oo", "minus infinity"),
    ],
)  # fmt: skip
def test_printer_groups_what_parentheses_group_on_paper(expression, expected):
    assert SpokenPrinter().doprint(parse(expression)) == expected


def test_every_generated_instance_speaks_without_symbols():
    for name in sorted(TASKS):
        task = create_task(name)
        for i in range(5):
            text = spoken_text(_candidate(task, 0, i, 0))
            assert text.strip(), name
            for symbol in ("\\", "^", "**", "Ω", "∥", "[", "_", "×"):
                assert symbol not in text, (name, symbol, text)


def test_unknown_task_is_a_value_error():
    with pytest.raises(ValueError, match="no spoken form for task 'tetris'"):
        spoken_text(Instance("tetris", {}, "", []))


def _wav(data: bytes):
    with wave.open(io.BytesIO(data)) as w:
        return w.getparams()


@needs_espeak
def test_synthesize_writes_a_deterministic_mono_wav_as_long_as_the_text():
    sentence = "The flow is 42 units per hour. "
    once, thrice = synthesize(sentence), synthesize(sentence * 3)
    p1, p3 = _wav(once), _wav(thrice)
    assert (p1.framerate, p1.nchannels, p1.sampwidth) == (SAMPLE_RATE, 1, 2)
    assert len(once) == 44 + 2 * p1.nframes  # the header states the real size
    assert 1.0 < p1.nframes / SAMPLE_RATE < 4.0
    assert 2.5 < p3.nframes / p1.nframes < 3.5
    assert synthesize(sentence) == once


@needs_espeak
def test_render_audio_speaks_the_spoken_text():
    data = render_audio(PHYSICS)
    assert data == synthesize(spoken_text(PHYSICS))
    assert _wav(data).nframes / SAMPLE_RATE > 3.0


@needs_espeak
@pytest.mark.parametrize(("digits", "words"), [("12", "twelve"), ("15", "fifteen"), ("60", "sixty")])
def test_a_number_is_spoken_as_its_words(digits, words):
    assert phonemes(f"The flow is {digits} units") == phonemes(f"The flow is {words} units")


@needs_espeak
def test_ohms_are_spoken_as_ohms_not_omega():
    description = create_task("physics").render_text(PHYSICS, "description")
    assert "24 Ω" in description and "oUm'eIg@" in phonemes(description)  # a voice reads Ω as "omega"
    heard = phonemes(spoken_text(PHYSICS))
    assert phonemes("24 ohms") in heard and "oUm'eIg@" not in heard


@needs_espeak
def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="words_per_minute"):
        synthesize("hello", words_per_minute=10)
    with pytest.raises(ValueError, match="empty"):
        synthesize("  ")
    with pytest.raises(RuntimeError, match="voice"):
        synthesize("hello", voice="xx-nope")


def test_missing_espeak_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="apt-get install espeak-ng"):
        synthesize("hello")
    with pytest.raises(RuntimeError, match="apt-get install espeak-ng"):
        phonemes("hello")
