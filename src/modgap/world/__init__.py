"""A synthetic visual world with exact truth: scenes, renders, claim-level captions, questions, concepts."""

import lazy_loader

# Names resolve on first use (PEP 562), so importing the package loads no torch or transformers.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "concepts": ["CONCEPTS", "ConceptSentence", "concept_sentences"],
        "dataset": ["WorldRecord", "generate_world", "load_world", "make_record", "to_dataset"],
        "hallucination": [
            "CaptionReport",
            "ClaimErrors",
            "ParsedCaption",
            "caption_errors",
            "caption_hallucinations",
            "caption_word_labels",
            "parse_caption",
            "world_captions",
        ],
        "language": [
            "Claim",
            "caption_claims",
            "caption_text",
            "check_claim",
            "describe",
            "make_claim",
            "resolve",
        ],
        "perturb": ["PERTURBATIONS", "Perturbed", "perturb", "word_labels"],
        "questions": ["QUESTION_KINDS", "Question", "answer_question", "scene_questions"],
        "render": ["render_scene"],
        "scene": [
            "COLOURS",
            "Object",
            "SHAPES",
            "SIZES",
            "Scene",
            "SceneConfig",
            "WORDS",
            "above",
            "below",
            "closer_to",
            "closer_to_camera",
            "count",
            "left_of",
            "right_of",
            "sample_scene",
        ],
    },
)
