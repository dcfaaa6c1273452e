"""Textual steering vectors (arXiv 2505.14071): found in the text backbone, added to an MLLM's states."""

from modgap.steer.apply import POSITIONS, SteerSpec, steer
from modgap.steer.capture import anchor_masks, capture, record_layers
from modgap.steer.concepts import CONCEPTS, ConceptSentence, load_concepts, load_pairs, split
from modgap.steer.extract import LayerReport, extract, layer_report
from modgap.steer.sae import SAE, load_sae, train_sae
from modgap.steer.vectors import METHODS, SteeringVector, separation

__all__ = [
    "CONCEPTS",
    "METHODS",
    "POSITIONS",
    "SAE",
    "ConceptSentence",
    "LayerReport",
    "SteerSpec",
    "SteeringVector",
    "anchor_masks",
    "capture",
    "extract",
    "layer_report",
    "load_concepts",
    "load_pairs",
    "load_sae",
    "record_layers",
    "separation",
    "split",
    "steer",
    "train_sae",
]
