"""Run inside the Tutor venv (.venv-tutor): print TUTOR_ROOT's rendered lc_modulestore init tasks as JSON."""
import json
import sys

from tutor import config as tutor_config
from tutor import env, hooks

hooks.Actions.CORE_READY.do()
hooks.Actions.PROJECT_ROOT_READY.do(sys.argv[1])
config = tutor_config.load(sys.argv[1])
tasks = [[service, env.render_str(config, task)] for service, task in hooks.Filters.CLI_DO_INIT_TASKS.iterate()]
print(json.dumps([task for task in tasks if "lc_modulestore" in task[1]]))
