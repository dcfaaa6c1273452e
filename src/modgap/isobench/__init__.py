"""IsoBench: one problem in isomorphic text and image representations, generated with verified answers."""

from modgap.isobench import tasks  # noqa: F401  (registers every task)
from modgap.isobench.export import from_parquet, to_dataset, to_parquet
from modgap.isobench.gallery import write_gallery
from modgap.isobench.official import import_isobench, load_isobench
from modgap.isobench.suite import ISOBENCH_SIZES, Record, generate, load_suite, write_suite
from modgap.isobench.task import IMAGE, TASKS, Instance, Task, TaskConfig, create_task, register_task, solve

__all__ = [
    "IMAGE",
    "ISOBENCH_SIZES",
    "TASKS",
    "Instance",
    "Record",
    "Task",
    "TaskConfig",
    "create_task",
    "from_parquet",
    "generate",
    "import_isobench",
    "load_isobench",
    "load_suite",
    "register_task",
    "solve",
    "to_dataset",
    "to_parquet",
    "write_gallery",
    "write_suite",
]
