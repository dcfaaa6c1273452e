"""The chemistry task: RDKit-checked answers, fair distractors, descriptions that rebuild the molecule."""

import re
from collections import Counter

import pytest
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from modgap.isobench import create_task, solve
from modgap.isobench.suite import _candidate
from modgap.isobench.tasks import chemistry
from modgap.isobench.tasks._molecules import MOLECULES

Q = chemistry.QUESTIONS


def ask(smiles: str, kind: str, choices: list[str]) -> str:
    return solve("chemistry", {"smiles": smiles, "question": Q[kind], "choices": choices})


@pytest.mark.parametrize(
    ("smiles", "kind", "choices", "answer"),
    [
        ("CC(=O)Oc1ccccc1C(=O)O", "formula", ["C9H10O4", "C9H8O4", "C8H8O4", "C9H8O3"], "C9H8O4"),  # aspirin
        ("c1ccc2ccccc2c1", "rings", ["0", "1", "2", "3"], "2"),  # naphthalene
        ("CN1CCCC1c1cccnc1", "aromatic_rings", ["0", "1", "2", "3"], "1"),  # nicotine
        ("CC(=O)Nc1ccc(O)cc1", "heavy_atoms", ["9", "10", "11", "12"], "11"),  # paracetamol
        ("NCC(=O)O", "nh_oh", ["1", "2", "3", "4"], "3"),  # glycine: NH2 + OH
        ("CC(=O)Oc1ccccc1C(=O)O", "functional_group", ["amine", "ester", "nitrile", "aldehyde"], "ester"),
        ("CCN(CC)CC(=O)Nc1c(C)cccc1C", "functional_group", ["nitro", "ester", "amide", "aldehyde"], "amide"),
    ],
)
def test_solve_hand_made_cases(smiles, kind, choices, answer):
    assert ask(smiles, kind, choices) == answer


def test_solve_rejects_bad_input():
    with pytest.raises(ValueError, match="not a valid SMILES"):
        ask("C1CC", "rings", ["0", "1"])
    with pytest.raises(ValueError, match="unknown chemistry question"):
        solve("chemistry", {"smiles": "CCO", "question": "Is it tasty?", "choices": ["yes", "no"]})
    with pytest.raises(ValueError, match="exactly one correct option"):
        ask("CCO", "heavy_atoms", ["1", "2", "4", "5"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"questions": ("smell",)}, "questions"),
        ({"questions": ()}, "questions"),
        ({"min_heavy_atoms": 20, "max_heavy_atoms": 10}, "min_heavy_atoms"),
        ({"min_heavy_atoms": 60, "max_heavy_atoms": 80}, "min_heavy_atoms=60"),
        ({"variant_rate": 1.5}, "variant_rate"),
        ({"n_choices": 1}, "n_choices"),
    ],
)
def test_bad_config_raises(overrides, message):
    with pytest.raises(ValueError, match=message):
        create_task("chemistry", **overrides)


def test_molecule_list_parses_is_distinct_and_formulas_match_rdkit():
    canonical = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for _, s in MOLECULES]
    assert len(MOLECULES) >= 250
    assert len(set(canonical)) == len(canonical)
    assert len({name for name, _ in MOLECULES}) == len(MOLECULES)
    for (name, _), smiles in zip(MOLECULES, canonical, strict=True):
        mol = Chem.MolFromSmiles(smiles)
        assert Chem.GetFormalCharge(mol) == 0, name
        assert chemistry._hill(chemistry._composition(mol)) == rdMolDescriptors.CalcMolFormula(mol), name


def test_loose_group_patterns_contain_the_strict_ones():
    """A distractor must miss the loose pattern, so strict ⊆ loose keeps exactly one option right."""
    for name, mol in chemistry._library():
        for group, (strict, loose) in chemistry._PATTERNS.items():
            assert not mol.HasSubstructMatch(strict) or mol.HasSubstructMatch(loose), (name, group)


def test_formula_distractors_are_one_slip_away():
    counts = {"C": 9, "H": 8, "O": 4}
    wrong = chemistry._formula_distractors(counts)
    assert "C9H8O4" not in wrong
    assert {"C9H10O4", "C8H8O4", "C10H10O4", "C9H8O3", "C9H8NO4"} <= set(wrong)


def _rebuild(description: str) -> str:
    """Turn the atom/bond description back into a molecule, as a reader would."""
    symbols = {v: k for k, v in chemistry.ELEMENT_NAMES.items()}
    orders = {"single": Chem.BondType.SINGLE, "double": Chem.BondType.DOUBLE}
    orders |= {"triple": Chem.BondType.TRIPLE, "aromatic": Chem.BondType.AROMATIC}
    mol = Chem.RWMol()
    for m in re.finditer(r"atom \d+: (\w+) with (no|\d+) hydrogens?(?:, charge ([+-]\d+))?", description):
        atom = Chem.Atom(symbols[m.group(1)])
        atom.SetNumExplicitHs(0 if m.group(2) == "no" else int(m.group(2)))
        atom.SetNoImplicit(True)
        atom.SetFormalCharge(int(m.group(3) or 0))
        mol.AddAtom(atom)
    for m in re.finditer(r"(\w+) bond between atom (\d+) and atom (\d+)", description):
        mol.AddBond(int(m.group(2)) - 1, int(m.group(3)) - 1, orders[m.group(1)])
        if m.group(1) == "aromatic":
            for i in (2, 3):
                mol.GetAtomWithIdx(int(m.group(i)) - 1).SetIsAromatic(True)
            mol.GetBondBetweenAtoms(int(m.group(2)) - 1, int(m.group(3)) - 1).SetIsAromatic(True)
    Chem.SanitizeMol(mol)
    return Chem.MolToSmiles(mol)


def test_description_rebuilds_the_molecule_and_names_no_molecule():
    task = create_task("chemistry")
    for i in range(40):
        inst = _candidate(task, seed=3, index=i, attempt=0)
        text = task.render_text(inst, "description")
        assert _rebuild(text) == Chem.MolToSmiles(Chem.MolFromSmiles(inst.fields["smiles"])), inst
        assert inst.meta["name"].split(" (")[0] not in text
        assert inst.fields["question"] not in text  # the question belongs to the prompt
        assert task.render_text(inst, "smiles") == f"SMILES: {inst.fields['smiles']}"


def test_image_is_a_legible_rdkit_drawing():
    task = create_task("chemistry")
    image = task.render_image(_candidate(task, seed=0, index=0, attempt=0))
    assert image.size == (chemistry.IMAGE_SIZE, chemistry.IMAGE_SIZE) and image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert len(image.getcolors(1 << 16)) > 10  # drawn lines and coloured heteroatom labels


def test_every_kind_and_position_appears_and_variants_are_used():
    task = create_task("chemistry")
    insts = [_candidate(task, seed=0, index=i, attempt=0) for i in range(200)]
    assert Counter(task.answer_class(x) for x in insts) == {c: 50 for c in "ABCD"}
    assert set(Counter(x.meta["kind"] for x in insts)) == set(Q)
    assert 0.2 < sum("substituted" in x.meta["name"] for x in insts) / len(insts) < 0.6
    assert all(len(set(x.choices)) == len(x.choices) == 4 for x in insts)


def test_other_option_counts_and_single_question_configs():
    task = create_task("chemistry", n_choices=6, questions=("formula", "functional_group"))
    assert task.classes == list("ABCDEF")
    for i in range(12):
        inst = _candidate(task, seed=1, index=i, attempt=0)
        assert len(inst.choices) == 6 and task.answer_class(inst) == "ABCDEF"[i % 6]
        assert task.solve(inst.fields) == inst.answer


def check_instances(n: int) -> None:
    task = create_task("chemistry")
    for i in range(n):
        inst = _candidate(task, seed=0, index=i, attempt=0)
        assert task.solve(inst.fields) == inst.answer, inst
        assert task.answer_class(inst) == task.classes[i % len(task.classes)], inst


def test_solver_agrees_on_many_instances():
    check_instances(1000)
