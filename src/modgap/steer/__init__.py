"""Textual steering vectors (arXiv 2505.14071): found in the text backbone, added to an MLLM's states."""

import lazy_loader

# Names resolve on first use (PEP 562), so importing the package loads no torch or transformers.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "apply": ["POSITIONS", "SteerSpec", "steer"],
        "capture": ["anchor_masks", "capture", "record_layers"],
        "concepts": ["CONCEPTS", "ConceptSentence", "load_concepts", "load_pairs", "split"],
        "extract": ["LayerReport", "extract", "layer_report"],
        "sae": ["SAE", "load_sae", "train_sae"],
        "vectors": ["METHODS", "SteeringVector", "separation"],
    },
)
