"""Chemistry: multiple-choice questions about a real molecule, shown as SMILES, in words or drawn.

Molecules come from a curated list of ~300 real compounds (``_molecules.py``), some with one
substituent swapped in (an aromatic or aliphatic C–H becomes C–F, C–Cl, C–CH3, C–OH …) so the
space is not exhausted. Questions ask for the molecular formula, ring counts, heavy atoms, N–H/O–H
hydrogens or which functional group is present; numeric options are four consecutive counts,
formula options differ by a C, an H or a heteroatom. The answer class is the correct option's
letter, so a suite balances A/B/C/D exactly.
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import dataclass
from typing import Any

from PIL import Image
from rdkit import Chem, RDLogger
from rdkit.Chem import Lipinski, rdDepictor, rdMolDescriptors
from rdkit.Chem.Draw import rdMolDraw2D

from modgap.isobench.task import Instance, TaskConfig, register_task
from modgap.isobench.tasks._choices import LETTERS, LetteredChoiceTask, check_choice_config
from modgap.isobench.tasks._molecules import MOLECULES

RDLogger.DisableLog("rdApp.*")

QUESTIONS = {
    "formula": "What is the molecular formula of this molecule?",
    "rings": "How many rings does this molecule contain?",
    "aromatic_rings": "How many aromatic rings does this molecule contain?",
    "heavy_atoms": "How many heavy (non-hydrogen) atoms does this molecule contain?",
    "nh_oh": "How many hydrogen atoms are bonded to nitrogen or oxygen atoms in this molecule "
    "(Lipinski's hydrogen-bond donor count)?",
    "functional_group": "Which of these functional groups is present in this molecule?",
}
_KIND = {q: k for k, q in QUESTIONS.items()}
# name -> (strict SMARTS: the group is present; loose SMARTS: anything a reader could mistake for
# it). A distractor must miss even the loose pattern, so exactly one option is right.
GROUPS = {
    "hydroxyl (alcohol or phenol)": ("[OX2H][CX4,c]", "[OX2H]"),
    "carboxylic acid": ("[CX3](=O)[OX2H1]", "[#6X3](=O)[OX2H1,OX1-]"),
    "ester": ("[#6][CX3](=O)[OX2H0][#6]", "[#6X3](=O)[OX2H0]"),
    "amide": ("[#6][CX3](=[OX1])[NX3]", "[#6X3](=[OX1,SX1])[#7]"),
    "ketone": ("[#6][CX3](=O)[#6]", "[#6][#6X3](=O)[#6]"),
    "aldehyde": ("[CX3H1](=O)[#6]", "[CX3;H1,H2]=O"),
    "amine": ("[NX3;!$(N[#6,#16]=[#7,#8,#16]);!$(N[#7,#8])][#6]", "[#7X3;+0]"),
    "ether": ("[OD2;!$(O[#6]=[#7,#8,#16])]([#6])[#6]", "[#8X2]([#6])[#6]"),
    "nitrile": ("[CX2]#[NX1]", "[#6]#[#7]"),
    "nitro": ("[NX3+](=O)[O-]", "[#7]~[OX1]"),
    "carbon-halogen bond": ("[#6][F,Cl,Br,I]", "[F,Cl,Br,I]"),
    "alkene (non-aromatic C=C)": ("[CX3]=[CX3]", "[#6X3]=,:[#6X3]"),
    "sulfonamide": ("[SX4](=[OX1])(=[OX1])[NX3]", "[#16](=O)"),
}
_PATTERNS = {name: tuple(Chem.MolFromSmarts(s) for s in pair) for name, pair in GROUPS.items()}
SUBSTITUENTS = (("F",), ("Cl",), ("Br",), ("C",), ("O",), ("O", "C"), ("N",))
"""Atoms of the group that replaces an H in a variant (a chain: methoxy is O then C)."""
ELEMENT_NAMES = {
    "C": "carbon", "N": "nitrogen", "O": "oxygen", "S": "sulfur", "P": "phosphorus",
    "F": "fluorine", "Cl": "chlorine", "Br": "bromine", "I": "iodine",
}  # fmt: skip
BOND_NAMES = {1.0: "single", 2.0: "double", 3.0: "triple", 1.5: "aromatic"}
IMAGE_SIZE = 480


@dataclass(frozen=True)
class ChemistryConfig(TaskConfig):
    questions: tuple[str, ...] = tuple(QUESTIONS)
    """Question kinds to draw from (keys of ``QUESTIONS``)."""
    min_heavy_atoms: int = 6
    """Smallest molecule, in non-hydrogen atoms."""
    max_heavy_atoms: int = 36
    """Largest molecule, in non-hydrogen atoms (bigger drawings get crowded)."""
    variant_rate: float = 0.5
    """Chance that a listed molecule gets one substituent swapped in (more distinct molecules)."""
    n_choices: int = 4
    """Number of answer options (2-6)."""

    def __post_init__(self) -> None:
        check_choice_config(self, QUESTIONS)
        lo, hi = self.min_heavy_atoms, self.max_heavy_atoms
        if not 1 <= lo <= hi:
            raise ValueError(f"need 1 <= min_heavy_atoms <= max_heavy_atoms, got min_heavy_atoms={lo}, {hi}")
        if sum(lo <= m.GetNumHeavyAtoms() <= hi for _, m in _library()) < 20:
            raise ValueError(f"fewer than 20 listed molecules have min_heavy_atoms={lo} to {hi} heavy atoms")
        if not 0.0 <= self.variant_rate <= 1.0:
            raise ValueError(f"variant_rate must be in [0, 1], got {self.variant_rate}")


@functools.cache
def _library() -> tuple[tuple[str, Chem.Mol], ...]:
    return tuple((name, Chem.MolFromSmiles(smiles)) for name, smiles in MOLECULES)


def _variant(mol: Chem.Mol, rng: random.Random) -> Chem.Mol | None:
    """``mol`` with one C–H replaced by a substituent (aromatic C–H preferred), or None if it fails."""
    carbons = [a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() == "C" and a.GetTotalNumHs() > 0]
    aromatic = [i for i in carbons if mol.GetAtomWithIdx(i).GetIsAromatic()]
    if not carbons:
        return None
    site = rng.choice(aromatic or carbons)
    rw = Chem.RWMol(mol)
    prev = site
    for symbol in rng.choice(SUBSTITUENTS):
        idx = rw.AddAtom(Chem.Atom(symbol))
        rw.AddBond(prev, idx, Chem.BondType.SINGLE)
        prev = idx
    out = rw.GetMol()
    try:
        Chem.SanitizeMol(out)
    except Chem.rdchem.MolSanitizeException:
        return None
    return Chem.MolFromSmiles(Chem.MolToSmiles(out))


def _composition(mol: Chem.Mol) -> dict[str, int]:
    counts: dict[str, int] = {}
    for atom in mol.GetAtoms():
        counts[atom.GetSymbol()] = counts.get(atom.GetSymbol(), 0) + 1
        counts["H"] = counts.get("H", 0) + atom.GetTotalNumHs()
    return counts


def _hill(counts: dict[str, int]) -> str:
    """Hill-order formula: C, then H, then the rest alphabetically; counts of one left out."""
    order = ["C", "H", *sorted(k for k in counts if k not in ("C", "H"))]
    return "".join(f"{el}{'' if counts[el] == 1 else counts[el]}" for el in order if counts.get(el, 0) > 0)


def _formula_distractors(counts: dict[str, int]) -> list[str]:
    """Formulas one plausible slip away: an H or two, a CH2, a C, an O or an N off."""
    shifts = [{"H": 1}, {"H": -1}, {"H": 2}, {"H": -2}, {"C": 1}, {"C": -1}, {"C": 1, "H": 2}]
    shifts += [{"C": -1, "H": -2}, {"O": 1}, {"O": -1}, {"N": 1}, {"N": -1}, {"O": -1, "N": 1}]
    out = set()
    for shift in shifts:
        new = {**counts, **{el: counts.get(el, 0) + d for el, d in shift.items()}}
        if min(new.values()) >= 0 and new["C"] > 0:
            out.add(_hill(new))
    out.discard(_hill(counts))
    return sorted(out)


def _bridged(mol: Chem.Mol) -> bool:
    """Bridged ring systems have more than one "smallest set of rings", so their ring count is unclear."""
    return mol.GetRingInfo().NumRings() != mol.GetNumBonds() - mol.GetNumAtoms() + len(Chem.GetMolFrags(mol))


def _exocyclic_aromatic(mol: Chem.Mol) -> bool:
    """Aromatic rings with exocyclic double bonds (caffeine's C=O) are aromatic to RDKit, not to everyone."""
    return any(
        bond.GetBondType() == Chem.BondType.DOUBLE
        and (bond.GetBeginAtom().GetIsAromatic() or bond.GetEndAtom().GetIsAromatic())
        for bond in mol.GetBonds()
    )


def _count(kind: str, mol: Chem.Mol) -> int:
    """The RDKit count for a numeric question kind."""
    if kind == "rings":
        return rdMolDescriptors.CalcNumRings(mol)
    if kind == "aromatic_rings":
        return rdMolDescriptors.CalcNumAromaticRings(mol)
    if kind == "heavy_atoms":
        return mol.GetNumHeavyAtoms()
    return Lipinski.NHOHCount(mol)


def _options(kind: str, mol: Chem.Mol, pos: int, n: int, rng: random.Random) -> list[str] | None:
    """``n`` options with the right one at index ``pos``, or None if this molecule cannot have that."""
    if kind == "formula":
        counts = _composition(mol)
        wrong = _formula_distractors(counts)
        right = _hill(counts)
    elif kind == "functional_group":
        present = [g for g, (strict, _) in _PATTERNS.items() if mol.HasSubstructMatch(strict)]
        wrong = [g for g, (_, loose) in _PATTERNS.items() if not mol.HasSubstructMatch(loose)]
        if not present:
            return None
        right = rng.choice(present)
    else:
        if (kind in ("rings", "aromatic_rings") and _bridged(mol)) or (
            kind == "aromatic_rings" and _exocyclic_aromatic(mol)
        ):
            return None
        start = _count(kind, mol) - pos
        return None if start < 0 else [str(start + i) for i in range(n)]
    if len(wrong) < n - 1:
        return None
    options = rng.sample(wrong, n - 1)
    options.insert(pos, right)
    return options


@register_task("chemistry")
class ChemistryTask(LetteredChoiceTask):
    """Answer a question about a molecule given as SMILES, an atom/bond list or a 2-D drawing."""

    domain = "science"
    text_representations = ("smiles", "description")
    config_class = ChemistryConfig

    def __init__(self, config: ChemistryConfig | None = None, **overrides: Any):
        super().__init__(config, **overrides)
        cfg = self.config
        self._pool = [
            (name, mol)
            for name, mol in _library()
            if cfg.min_heavy_atoms <= mol.GetNumHeavyAtoms() <= cfg.max_heavy_atoms
        ]

    def _molecule(self, rng: random.Random) -> tuple[str, Chem.Mol]:
        name, mol = rng.choice(self._pool)
        if rng.random() < self.config.variant_rate:
            variant = _variant(mol, rng)
            if variant is not None and variant.GetNumHeavyAtoms() <= self.config.max_heavy_atoms:
                return f"{name} (substituted)", variant
        return name, mol

    def sample(self, rng: random.Random, target: str) -> Instance:
        pos = LETTERS.index(target)
        for _ in range(20):
            kind = rng.choice(self.config.questions)
            for _ in range(50):
                name, mol = self._molecule(rng)
                options = _options(kind, mol, pos, self.config.n_choices, rng)
                if options is not None:
                    fields = {
                        "smiles": Chem.MolToSmiles(mol),
                        "question": QUESTIONS[kind],
                        "choices": options,
                    }
                    meta = {"name": name, "kind": kind}
                    return Instance(self.name, fields, options[pos], list(options), meta)
        raise ValueError(
            f"no molecule fits option {target} for questions {self.config.questions}; widen the config"
        )

    @staticmethod
    def solve(fields: dict[str, Any]) -> str:
        """Recompute the asked property from the SMILES with RDKit and return the matching option."""
        mol = Chem.MolFromSmiles(fields["smiles"])
        if mol is None:
            raise ValueError(f"not a valid SMILES: {fields['smiles']!r}")
        kind = _KIND.get(fields["question"])
        if kind is None:
            raise ValueError(f"unknown chemistry question {fields['question']!r}")
        if kind == "formula":
            matches = [c for c in fields["choices"] if c == rdMolDescriptors.CalcMolFormula(mol)]
        elif kind == "functional_group":
            matches = [c for c in fields["choices"] if mol.HasSubstructMatch(_PATTERNS[c][0])]
        else:
            matches = [c for c in fields["choices"] if c == str(_count(kind, mol))]
        if len(matches) != 1:
            raise ValueError(f"expected exactly one correct option, found {matches} in {fields['choices']}")
        return matches[0]

    def dedup_key(self, instance: Instance) -> str:
        """Same molecule and question is a duplicate, whatever the option order."""
        return f"{instance.fields['smiles']}|{instance.fields['question']}"

    def render_text(self, instance: Instance, representation: str) -> str:
        smiles = instance.fields["smiles"]
        return f"SMILES: {smiles}" if representation == "smiles" else _describe(Chem.MolFromSmiles(smiles))

    def render_image(self, instance: Instance) -> Image.Image:
        return _depict(instance.fields["smiles"])


def _describe(mol: Chem.Mol) -> str:
    """Every heavy atom (element, attached hydrogens, charge) and every bond, in words."""
    lines = ["Atoms other than hydrogen, each with the hydrogens bonded to it:"]
    for atom in mol.GetAtoms():
        hs = atom.GetTotalNumHs()
        text = f"atom {atom.GetIdx() + 1}: {ELEMENT_NAMES.get(atom.GetSymbol(), atom.GetSymbol())}"
        text += f" with {hs} hydrogen{'s' if hs != 1 else ''}" if hs else " with no hydrogens"
        if atom.GetFormalCharge():
            text += f", charge {atom.GetFormalCharge():+d}"
        lines.append(text)
    lines.append("Bonds:")
    for bond in mol.GetBonds():
        kind = BOND_NAMES[bond.GetBondTypeAsDouble()]
        lines.append(
            f"{kind} bond between atom {bond.GetBeginAtomIdx() + 1} and atom {bond.GetEndAtomIdx() + 1}"
        )
    return "\n".join(lines)


def _depict(smiles: str) -> Image.Image:
    """RDKit's 2-D drawing (Cairo, fixed options), kekulized so aromatic rings show alternating bonds."""
    mol = Chem.MolFromSmiles(smiles)
    rdDepictor.Compute2DCoords(mol)
    drawer = rdMolDraw2D.MolDraw2DCairo(IMAGE_SIZE, IMAGE_SIZE)
    opts = drawer.drawOptions()
    opts.minFontSize = 14
    opts.bondLineWidth = 2
    opts.padding = 0.08
    drawer.DrawMolecule(mol)
    drawer.FinishDrawing()
    return Image.open(io.BytesIO(drawer.GetDrawingText())).convert("RGB")
