"""Which functions and modules the analyzer cares about, by qualified name.

Names are as the resolver spells them (``names.py``): the module path a call goes
through, whatever alias the cell used. ``np``/``pd``/``plt`` appear too, since cells
often rely on imports made in earlier cells.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A set of names written as one space-separated string (keeps the tables short)."""
    return frozenset(text.split())


def dotted_prefix(name: str, modules: frozenset[str], *, exact: bool = False) -> str | None:
    """The first of ``modules`` that ``name`` is a member of (``requests`` for
    ``requests.get``), or the name itself when ``exact`` and it is one of them.

    One set look-up per dot, instead of a ``startswith`` per module.
    """
    index = name.find(".")
    while index != -1:
        if name[:index] in modules:
            return name[:index]
        index = name.find(".", index + 1)
    return name if exact and name in modules else None


# --- running other programs -------------------------------------------------------
SHELL_STRING_CALLS = words(
    "os.system os.popen subprocess.run subprocess.call subprocess.check_call "
    "subprocess.check_output subprocess.Popen subprocess.getoutput "
    "subprocess.getstatusoutput pty.spawn asyncio.create_subprocess_shell pexpect.spawn "
    "pexpect.run platform.popen commands.getoutput get_ipython().system "
    "get_ipython().getoutput get_ipython().system_raw get_ipython().system_piped "
    "IPython.utils.process.system IPython.utils.process.getoutput "
    "IPython.utils.process.getoutputerror IPython.utils.process.get_output_error_code "
    "distutils.spawn.spawn setuptools._distutils.spawn.spawn"
)
# Functions taking the program and its arguments as separate parameters.
SHELL_ARGV_PREFIXES = (
    "os.exec",
    "os.spawn",
    "os.posix_spawn",
    "asyncio.create_subprocess_exec",
    "_posixsubprocess.fork_exec",
)
SHELL_ARGV_CALLS = frozenset({"os.startfile", "asyncio.create_subprocess_exec"})
# Method names that only ever mean "run a command", caught even on unknown objects
# (``(lambda o: o.system("..."))(__import__("os"))``).
SHELL_METHOD_NAMES = frozenset(
    {"system", "popen", "check_output", "check_call", "Popen", "getoutput", "getstatusoutput"}
)

# --- deleting files --------------------------------------------------------------------
DELETE_CALLS = frozenset({"os.remove", "os.unlink", "os.rmdir", "os.removedirs"})
TREE_DELETE_CALLS = frozenset({"shutil.rmtree"})
DELETE_METHOD_NAMES = frozenset({"unlink", "rmdir"})  # pathlib.Path methods

# --- writing files -------------------------------------------------------------------------
# open-like calls: (path argument index, mode argument index, default mode)
OPEN_CALLS: dict[str, tuple[int, int, str]] = {
    **dict.fromkeys(
        words("open io.open codecs.open tarfile.open zipfile.ZipFile h5py.File io.FileIO"),
        (0, 1, "r"),
    ),
    **dict.fromkeys(words("gzip.open bz2.open lzma.open"), (0, 1, "rb")),
}
# Calls writing to their first argument...
_WRITES_FIRST = words(
    "os.makedirs os.mkdir os.chmod os.chown os.utime os.truncate shutil.make_archive "
    "os.mkfifo os.mknod os.lchown os.chflags os.lchflags shutil.chown "
    "numpy.save numpy.savez numpy.savez_compressed numpy.savetxt np.save np.savez "
    "np.savez_compressed np.savetxt scipy.io.savemat cv2.imwrite imageio.imwrite "
    "pandas.ExcelWriter pd.ExcelWriter pandas.HDFStore pd.HDFStore sqlite3.connect"
)
# ...or to their second (copy and move destinations, dump(value, path) functions).
_WRITES_SECOND = words(
    "shutil.copy shutil.copy2 shutil.copyfile shutil.copytree shutil.move os.rename "
    "os.replace os.renames os.symlink os.link urllib.request.urlretrieve joblib.dump torch.save"
)
WRITE_CALLS: dict[str, int] = {
    **dict.fromkeys(_WRITES_FIRST, 0),
    **dict.fromkeys(_WRITES_SECOND, 1),
}
# Moving a file also takes it away from its source: sources are checked too.
MOVE_CALLS = frozenset({"shutil.move", "os.rename", "os.replace", "os.renames"})
# Links make a path inside the root lead elsewhere: their target (first argument) counts.
LINK_CALLS = frozenset({"os.symlink", "os.link"})
LINK_METHOD_NAMES = frozenset({"symlink_to", "hardlink_to", "link_to"})
PATH_MOVE_METHODS = frozenset({"rename", "replace"})  # on pathlib paths only
INPLACE_FILE_CALLS = frozenset({"fileinput.input", "fileinput.FileInput"})
# Files whose code runs by itself later (Python start-up, IPython start-up, pytest).
AUTORUN_FILE_NAMES = words("sitecustomize.py usercustomize.py conftest.py")
AUTORUN_SUFFIXES = (".pth",)
CODE_FILE_SUFFIXES = (".py", ".pyw", ".ipy", ".pyx", ".sh", ".bash", ".zsh", ".pth")
# Methods writing to the path given as first argument (or one of PATH_KEYWORDS).
WRITE_METHOD_NAMES = words(
    "to_csv to_parquet to_excel to_json to_pickle to_feather to_hdf to_stata to_html "
    "to_latex to_markdown to_xml to_orc to_file to_netcdf to_zarr savefig write_image "
    "write_html tofile extractall"
)
# Methods writing to the path object they are called on.
PATH_SELF_WRITE_METHODS = frozenset({"write_text", "write_bytes", "touch", "mkdir", "chmod"})
PATH_KEYWORDS = ("path_or_buf", "path", "fname", "filename", "file", "excel_writer", "buf")
# Calls building an in-memory buffer: writing to them touches no file.
MEMORY_BUFFERS = frozenset({"io.StringIO", "io.BytesIO", "StringIO", "BytesIO"})

# --- the network -----------------------------------------------------------------------------
NETWORK_MODULES = tuple(
    sorted(
        words(
            "requests httpx urllib.request urllib3 http.client http.server socket socketserver "
            "aiohttp ftplib smtplib poplib imaplib telnetlib nntplib paramiko pycurl websocket "
            "websockets xmlrpc.client asyncssh fabric _socket tornado.httpclient "
            "tornado.websocket tornado.tcpclient tornado.tcpserver tornado.simple_httpclient "
            "tornado.curl_httpclient multiprocessing.connection webbrowser zmq httplib2 "
            "requests_html treq twisted.internet grpc dns.resolver"
        )
    )
)
NETWORK_MODULE_SET = frozenset(NETWORK_MODULES)
NETWORK_HARMLESS = frozenset({"socket.gethostname", "requests.utils.quote"})
NETWORK_CALLS = words(
    "asyncio.open_connection asyncio.open_unix_connection asyncio.start_server "
    "asyncio.start_unix_server ssl.create_connection urllib.urlopen"
)
# Event-loop methods that open connections, caught on any receiver.
NETWORK_METHOD_NAMES = words(
    "create_connection create_datagram_endpoint create_server create_unix_connection "
    "create_unix_server sock_connect"
)
# Readers that accept URLs: reading public data by URL is everyday data science.
READER_PREFIXES = ("read_",)
READER_NAMES = frozenset(
    {"loadtxt", "genfromtxt", "imread", "open_dataset", "load_dataset", "urlopen_dataset"}
)
PICKLE_READERS = frozenset({"read_pickle"})
DOWNLOAD_PREFIXES = ("sklearn.datasets.fetch_", "fetch_")
DOWNLOAD_NAMES = frozenset({"load_dataset", "hf_hub_download", "snapshot_download", "get_file"})
REMOTE_CODE_CALLS = frozenset({"torch.hub.load"})

# --- environment and secrets -------------------------------------------------------------
ENVIRON = frozenset({"os.environ", "os.environb", "posix.environ", "nt.environ"})
GETENV_CALLS = frozenset(
    {"os.getenv", "os.getenvb", "os.environ.get", "os.environ.pop", "os.environ.setdefault"}
)
ENVIRON_SAFE_METHODS = frozenset({"get", "pop", "setdefault", "update", "__setitem__"})
DOTENV_DUMP = frozenset({"dotenv.dotenv_values", "dotenv_values"})
DOTENV_LOAD = frozenset({"dotenv.load_dotenv", "load_dotenv", "dotenv.find_dotenv"})
PASSWORD_PROMPTS = frozenset({"getpass.getpass"})

# --- dynamic code ------------------------------------------------------------------------------
EXEC_CALLS = words(
    "eval exec compile execfile get_ipython().run_cell get_ipython().run_cell_async "
    "get_ipython().ex get_ipython().ev get_ipython().run_code "
    "code.interact runpy._run_code runpy._run_module_code pdb.run pdb.runeval pdb.runctx "
    "cProfile.run cProfile.runctx profile.run profile.runctx timeit.timeit timeit.repeat "
    "timeit.Timer code.InteractiveInterpreter().runsource code.InteractiveInterpreter().runcode "
    "code.InteractiveConsole().runsource code.InteractiveConsole().push "
    "code.compile_command codeop.compile_command trace.Trace().run"
)
# Calls whose second argument is code too (the setup statement of timeit).
EXEC_SETUP_CALLS = frozenset({"timeit.timeit", "timeit.repeat", "timeit.Timer"})
RUN_FILE_CALLS = words(
    "runpy.run_path runpy.run_module importlib.util.spec_from_file_location "
    "importlib.machinery.SourceFileLoader importlib.reload"
)
DESERIALIZERS = words(
    "pickle.loads marshal.loads dill.loads cloudpickle.loads types.FunctionType types.CodeType "
    "jsonpickle.decode"
)
# Readers that unpickle whatever they are given: a literal payload is a hidden program.
PICKLE_LOADERS = words(
    "pickle.load pickle.loads dill.load dill.loads cloudpickle.load cloudpickle.loads "
    "joblib.load torch.load pandas.read_pickle pd.read_pickle marshal.loads marshal.load "
    "jsonpickle.decode numpy.load np.load pickle.Unpickler"
)
# The ones that take bytes already in memory (their data came from somewhere unseen).
PICKLE_BYTES_LOADERS = words(
    "pickle.loads dill.loads cloudpickle.loads marshal.loads jsonpickle.decode"
)
YAML_UNSAFE_CALLS = words("yaml.unsafe_load yaml.unsafe_load_all")
YAML_UNSAFE_LOADERS = words("yaml.Loader yaml.UnsafeLoader Loader UnsafeLoader")
DECODER_NAMES = words(
    "b64decode b32decode b16decode b85decode a85decode decodebytes decodestring unhexlify "
    "a2b_base64 a2b_hex a2b_uu fromhex decompress urlsafe_b64decode standard_b64decode"
)
OBFUSCATION_CALLS = frozenset({"codecs.decode", "marshal.loads", "chr", "__import__", "reversed"})
DYNAMIC_IMPORTS = frozenset({"__import__", "importlib.import_module", "importlib.__import__"})
SENSITIVE_MODULES = words(
    "os subprocess shutil builtins __builtins__ sys socket ctypes importlib pty posix nt "
    "get_ipython() pickle marshal runpy io"
)
# Modules other modules re-export as an attribute: pathlib.os is os, shutil.os is os.
REEXPORTED_MODULES = words(
    "os _os subprocess _subprocess shutil sys posix nt builtins __builtins__ socket pickle "
    "importlib pty runpy"
)
MODULE_ALIASES = {
    "posix": "os",
    "nt": "os",
    "_os": "os",
    "_subprocess": "subprocess",
    "_pickle": "pickle",
    "cPickle": "pickle",
    "_io": "io",
    "__builtin__": "builtins",
}
# Attributes that reach a function's globals, the builtins, or every class in the
# process (the ().__class__.__base__.__subclasses__() walk to Popen).
INTROSPECTION_ATTRIBUTES = words(
    "__subclasses__ __globals__ __builtins__ __code__ __closure__ f_globals f_builtins "
    "f_locals f_back gi_frame cr_frame ag_frame tb_frame func_globals"
)
CALLER_NAMES = words("methodcaller attrgetter")

# --- the kernel process ----------------------------------------------------------------------
KERNEL_KILL_CALLS = frozenset({"os._exit", "os.abort", "exit", "quit", "get_ipython().ask_exit"})
PROCESS_EXIT_CALLS = frozenset({"sys.exit"})
PROCESS_KILL_CALLS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})
FORK_CALLS = frozenset({"os.fork", "os.forkpty", "pty.fork"})
PROCESS_START_CALLS = words(
    "multiprocessing.Process subprocess.Popen threading.Thread os.fork os.forkpty pty.fork"
)
SIGNAL_CALLS = frozenset(
    {"signal.signal", "signal.alarm", "signal.setitimer", "signal.raise_signal"}
)
CHDIR_CALLS = frozenset({"os.chdir", "os.fchdir", "contextlib.chdir"})
PACKAGE_CALLS = frozenset(
    {"pip.main", "pip._internal.main", "pip._internal.cli.main.main", "micropip.install"}
)
NATIVE_MODULES = ("ctypes", "cffi")
CREDENTIAL_STORE_MODULES = ("keyring",)

# Names reachable through "from <module> import *" that the checks care about.
STAR_KNOWN = frozenset(
    set(SHELL_STRING_CALLS)
    | DELETE_CALLS
    | TREE_DELETE_CALLS
    | set(WRITE_CALLS)
    | PROCESS_KILL_CALLS
    | KERNEL_KILL_CALLS
    | FORK_CALLS
    | {"os.environ", "os.getenv", "os.popen", "os.execv", "os.execvp", "os.execl"}
)
STAR_LAST_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in STAR_KNOWN)
ENVIRON_LAST_NAMES = frozenset({"environ", "environb"})
