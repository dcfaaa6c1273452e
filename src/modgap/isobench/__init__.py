"""IsoBench: one problem in isomorphic text and image representations, generated with verified answers."""

from modgap.isobench import tasks  # noqa: F401  (registers every task)
from modgap.isobench.export import from_parquet, to_dataset, to_parquet
from modgap.isobench.gallery import write_gallery
from modgap.isobench.official import import_isobench, load_isobench
from modgap.isobench.parsing import Parsed, explain_answer, judge_answer, parse_answer
from modgap.isobench.report import ReportSummary, Run, load_run, write_report
from modgap.isobench.stats import Accuracy, Analysis, Outcome, analyse, compare_paired, mcnemar_p, wilson_ci
from modgap.isobench.suite import ISOBENCH_SIZES, Record, generate, load_suite, write_suite
from modgap.isobench.task import IMAGE, TASKS, Instance, Task, TaskConfig, create_task, register_task, solve

__all__ = [
    "IMAGE",
    "ISOBENCH_SIZES",
    "TASKS",
    "Accuracy",
    "Analysis",
    "Instance",
    "Outcome",
    "Parsed",
    "Record",
    "ReportSummary",
    "Run",
    "Task",
    "TaskConfig",
    "analyse",
    "compare_paired",
    "create_task",
    "explain_answer",
    "from_parquet",
    "generate",
    "import_isobench",
    "judge_answer",
    "load_isobench",
    "load_run",
    "load_suite",
    "mcnemar_p",
    "parse_answer",
    "register_task",
    "solve",
    "to_dataset",
    "to_parquet",
    "wilson_ci",
    "write_gallery",
    "write_report",
    "write_suite",
]
