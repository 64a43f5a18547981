"""How many tokens a model can take in one request, asked from where it is served.

The agents size their prompt budget from this. Sources, first answer wins:

1. the ``context_window`` setting (an override; it must match what the server uses);
2. for a self-hosted OpenAI-compatible server (any custom base URL), the server:
   - llama.cpp ``GET /props``: ``default_generation_settings.n_ctx`` (the context of
     one slot, which is what one request gets) or ``n_ctx``;
   - Ollama ``POST /api/show``: a ``num_ctx`` in the model's ``parameters``
     (Modelfile), else Ollama's default (see ``OLLAMA_DEFAULT_NUM_CTX``), never more
     than ``model_info["<arch>.context_length"]``, what the model was trained for;
   - ``GET /v1/models`` entries with ``max_model_len`` (vLLM), ``loaded_context_length``,
     ``context_length`` (LM Studio, OpenRouter) or ``max_context_length``;
3. the maintained model list of ``genai-prices`` for hosted models (OpenAI, Anthropic,
   and the providers it knows by URL);
4. unknown (``tokens=None``): the caller keeps its configured budget.

Ollama and ``num_ctx``: Ollama's OpenAI-compatible endpoint ignores ``options`` (its
``ChatCompletionRequest`` has no such field and builds options only from ``stop``,
``max_tokens``, ``temperature``, ``seed``, the penalties and ``top_p``), so
``extra_body={"options": {"num_ctx": N}}`` would be dropped silently and is not sent.
Ollama then runs the model with its server default (``OLLAMA_CONTEXT_LENGTH``, else
4096 tokens on machines under 24 GiB of VRAM; 2048 before 0.6) and truncates longer
prompts without an error. Raise it on the server (``OLLAMA_CONTEXT_LENGTH=16384
ollama serve``) or in a Modelfile (``PARAMETER num_ctx 16384``, which ``/api/show``
reports), and set the ``context_window`` setting to the server's value.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger("jupyter_codeagent.models")

#: What Ollama gives a model when neither the server nor a Modelfile says otherwise
#: (its documented default below 24 GiB of VRAM); an assumption, reported as such.
OLLAMA_DEFAULT_NUM_CTX = 4096
PROBE_TIMEOUT = 5.0
_MODEL_LIST_KEYS = (
    "max_model_len",
    "loaded_context_length",
    "context_length",
    "max_context_length",
)
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True, kw_only=True)
class ContextWindow:
    """The tokens one request may hold (prompt and answer), and where that was learnt.

    ``source`` is ``"setting"``, ``"llama.cpp /props"``, ``"ollama /api/show"``,
    ``"ollama default (assumed)"``, ``"/v1/models"``, ``"genai-prices"`` or
    ``"unknown"`` (then ``tokens`` is None).
    """

    tokens: int | None
    source: str

    @classmethod
    def unknown(cls) -> ContextWindow:
        return cls(tokens=None, source="unknown")


def server_root(base_url: str) -> str:
    """The server's root URL: an OpenAI-style base URL without its ``/v1``."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


async def probe_server(
    base_url: str, model: str, *, api_key: str = "", timeout: float = PROBE_TIMEOUT
) -> ContextWindow | None:
    """Ask a self-hosted OpenAI-compatible server for ``model``'s window (None: no answer)."""
    import httpx2  # the SDKs' HTTP library; imported only when a server is asked

    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    root = server_root(base_url)
    async with httpx2.AsyncClient(timeout=timeout, headers=headers) as http:
        for probe in (_llamacpp_props, _ollama_show, _models_list):
            try:
                window = await probe(http, root, base_url.rstrip("/"), model)
            except (httpx2.HTTPError, ValueError) as exc:
                log.debug("context window probe %s failed: %s", probe.__name__, exc)
                continue
            if window is not None:
                return window
    return None


async def _llamacpp_props(
    http: httpx2.AsyncClient, root: str, base: str, model: str
) -> ContextWindow | None:
    body = await _get_json(http, "GET", f"{root}/props")
    if not isinstance(body, dict):
        return None
    settings = body.get("default_generation_settings")
    n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
    tokens = _positive(n_ctx) or _positive(body.get("n_ctx"))
    return ContextWindow(tokens=tokens, source="llama.cpp /props") if tokens else None


async def _ollama_show(
    http: httpx2.AsyncClient, root: str, base: str, model: str
) -> ContextWindow | None:
    body = await _get_json(http, "POST", f"{root}/api/show", json={"model": model})
    if not isinstance(body, dict) or "model_info" not in body:
        return None
    info = body.get("model_info")
    trained = None
    if isinstance(info, dict):
        arch = info.get("general.architecture")
        trained = _positive(info.get(f"{arch}.context_length"))
    parameters = body.get("parameters")
    match = _NUM_CTX.search(parameters) if isinstance(parameters, str) else None
    if match:
        tokens, source = int(match.group(1)), "ollama /api/show"
    else:
        tokens, source = OLLAMA_DEFAULT_NUM_CTX, "ollama default (assumed)"
    if trained:
        tokens = min(tokens, trained)
    return ContextWindow(tokens=tokens, source=source)


async def _models_list(
    http: httpx2.AsyncClient, root: str, base: str, model: str
) -> ContextWindow | None:
    body = await _get_json(http, "GET", f"{base}/models")
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and entry.get("id") == model:
            for key in _MODEL_LIST_KEYS:
                tokens = _positive(entry.get(key))
                if tokens:
                    return ContextWindow(tokens=tokens, source="/v1/models")
    return None


async def _get_json(http: httpx2.AsyncClient, method: str, url: str, **kwargs: Any) -> object:
    response = await http.request(method, url, **kwargs)
    if response.status_code != 200:
        return None
    return response.json()


def _positive(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value > 0 else None
