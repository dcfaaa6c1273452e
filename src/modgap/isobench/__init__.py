"""IsoBench: one problem in isomorphic text and image representations, generated with verified answers."""

from modgap.isobench import tasks  # noqa: F401  (registers every task)
from modgap.isobench.task import IMAGE, TASKS, Instance, Task, TaskConfig, create_task, register_task, solve

__all__ = ["IMAGE", "TASKS", "Instance", "Task", "TaskConfig", "create_task", "register_task", "solve"]
