"""Library functions behind the command lines of ``tools/``: smoke runs, the benchmark,
the teacher-cache builder, student export and results analysis.

Nothing here is imported by ``import kd_plugin`` (it registers nothing).
"""
