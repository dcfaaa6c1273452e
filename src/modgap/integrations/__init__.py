"""IsoBench in the eval tools researchers already use. One module per tool, each imported only when used:

- :mod:`modgap.integrations.inspect_task`: an inspect_ai ``@task`` per suite (``modgap/isobench``), with
  modgap's own prompts, two-call strategies as a solver and modgap's parser as the scorer
  (``pip install 'modgap[inspect]'``);
- :mod:`modgap.integrations.lmms_eval`: ``modgap bench export --format lmms-eval``, a task folder
  (YAML + ``utils.py``) over a local parquet;
- :mod:`modgap.integrations.vlmevalkit`: ``modgap bench export --format vlmevalkit``, VLMEvalKit's TSVs.

The Hugging Face export (``modgap bench export``, :mod:`modgap.isobench.export`) carries every
rendered prompt and a dataset card. See ``docs/integrations.md``.
"""

__all__: list[str] = []
