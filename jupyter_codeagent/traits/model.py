"""The model settings of the server extension (``c.CodeAgentExtension.*``), each also
read from its ``CODEAGENT_*`` environment variable."""

from __future__ import annotations

from traitlets import Bool, Enum, Float, HasTraits, Int, Unicode, default

from .env import env_number as _env_number
from .env import env_text as _env


class ModelTraits(HasTraits):
    """Which model each agent calls, and how."""

    provider = Unicode(
        config=True,
        help="Language-model provider: 'openai' (also Ollama, vLLM, LM Studio, Azure and any "
        "OpenAI-compatible server via openai_base_url) or 'anthropic'. Env: CODEAGENT_PROVIDER.",
    )
    model = Unicode(config=True, help="Default model name for every role. Env: CODEAGENT_MODEL.")
    planner_model = Unicode(
        config=True, help="Model of the planner (empty: the default). Env: CODEAGENT_PLANNER_MODEL."
    )
    coder_model = Unicode(
        config=True, help="Model of the coder (empty: the default). Env: CODEAGENT_CODER_MODEL."
    )
    reviewer_model = Unicode(
        config=True,
        help="Model of the reviewer (empty: the default). Env: CODEAGENT_REVIEWER_MODEL.",
    )
    summarizer_model = Unicode(
        config=True,
        help="Model that condenses old history; a cheap one is fine. "
        "Env: CODEAGENT_SUMMARIZER_MODEL.",
    )
    openai_base_url = Unicode(
        config=True,
        help="Base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama. "
        "Env: OPENAI_BASE_URL.",
    )
    openai_api_key = Unicode(
        config=True,
        help="API key for the OpenAI provider (may be empty for local servers). "
        "Env: OPENAI_API_KEY. Never returned by any route nor logged.",
    )
    anthropic_base_url = Unicode(
        config=True, help="Base URL of the Anthropic API (for proxies). Env: ANTHROPIC_BASE_URL."
    )
    anthropic_api_key = Unicode(
        config=True,
        help="API key for the Anthropic provider. Env: ANTHROPIC_API_KEY. "
        "Never returned by any route nor logged.",
    )
    request_timeout = Float(
        config=True,
        help="Seconds before a model request times out. Env: CODEAGENT_REQUEST_TIMEOUT.",
    )
    max_retries = Int(
        config=True,
        help="Retries of a model call on rate limits, server errors and dropped streams. "
        "Env: CODEAGENT_MAX_RETRIES.",
    )
    max_output_tokens = Int(
        config=True,
        help="max_tokens of one model call (bounds a runaway reply). Env: CODEAGENT_MAX_TOKENS.",
    )
    max_tool_calls = Int(
        config=True,
        help="Tool calls kept from one model reply; the rest are dropped and the model is told. "
        "Env: CODEAGENT_MAX_TOOL_CALLS.",
    )
    context_window = Int(
        config=True,
        help="The model's context window in tokens (0: ask the server: llama.cpp /props, "
        "Ollama /api/show, /v1/models, or the known window of hosted models). The prompt budget "
        "is cut to fit it. Env: CODEAGENT_CONTEXT_WINDOW.",
    )
    prompt_caching = Bool(
        True,
        config=True,
        help="Mark the stable prompt prefix for Anthropic's prompt cache (OpenAI and most "
        "local servers cache prefixes by themselves). Env: CODEAGENT_PROMPT_CACHING=0 to disable.",
    )
    model_profile = Enum(
        ["auto", "full", "compact"],
        config=True,
        help="'compact' for small models: fewer tools, shorter prompts, low temperature; 'full' "
        "the complete set; 'auto' is compact when the context window is 8,192 tokens or less. "
        "Env: CODEAGENT_MODEL_PROFILE.",
    )
    vision = Enum(
        ["auto", "on", "off"],
        config=True,
        help="Show the models the images a cell output (charts) so they can check axes, legends "
        "and scales: 'auto' for models known to accept images (gpt-4o, gpt-4.1, gpt-5, o1/o3/o4, "
        "claude-3 and claude-4, gemini; others, local ones included, stay text-only), 'on', "
        "'off'. Env: CODEAGENT_VISION.",
    )
    vision_max_side = Int(
        config=True,
        help="Longest side in pixels an image is scaled down to before a model sees it "
        "(about 600 input tokens at 768). Env: CODEAGENT_VISION_MAX_SIDE.",
    )
    vision_max_images = Int(
        config=True,
        help="Images kept in one prompt, the most recent ones (older ones are dropped first "
        "when the prompt budget is tight). Env: CODEAGENT_VISION_MAX_IMAGES.",
    )

    @default("provider")
    def _default_provider(self) -> str:
        return _env("CODEAGENT_PROVIDER").lower()

    @default("model")
    def _default_model(self) -> str:
        return _env("CODEAGENT_MODEL")

    @default("planner_model")
    def _default_planner_model(self) -> str:
        return _env("CODEAGENT_PLANNER_MODEL")

    @default("coder_model")
    def _default_coder_model(self) -> str:
        return _env("CODEAGENT_CODER_MODEL")

    @default("reviewer_model")
    def _default_reviewer_model(self) -> str:
        return _env("CODEAGENT_REVIEWER_MODEL")

    @default("summarizer_model")
    def _default_summarizer_model(self) -> str:
        return _env("CODEAGENT_SUMMARIZER_MODEL")

    @default("openai_base_url")
    def _default_openai_base_url(self) -> str:
        return _env("OPENAI_BASE_URL")

    @default("openai_api_key")
    def _default_openai_api_key(self) -> str:
        return _env("OPENAI_API_KEY")

    @default("anthropic_base_url")
    def _default_anthropic_base_url(self) -> str:
        return _env("ANTHROPIC_BASE_URL")

    @default("anthropic_api_key")
    def _default_anthropic_api_key(self) -> str:
        return _env("ANTHROPIC_API_KEY")

    @default("request_timeout")
    def _default_request_timeout(self) -> float:
        return float(_env_number("CODEAGENT_REQUEST_TIMEOUT", 120.0))

    @default("max_retries")
    def _default_max_retries(self) -> int:
        return int(_env_number("CODEAGENT_MAX_RETRIES", 4, int))

    @default("max_output_tokens")
    def _default_max_output_tokens(self) -> int:
        return int(_env_number("CODEAGENT_MAX_TOKENS", 4_096, int))

    @default("max_tool_calls")
    def _default_max_tool_calls(self) -> int:
        return int(_env_number("CODEAGENT_MAX_TOOL_CALLS", 8, int))

    @default("context_window")
    def _default_context_window(self) -> int:
        return int(_env_number("CODEAGENT_CONTEXT_WINDOW", 0, int))

    @default("prompt_caching")
    def _default_prompt_caching(self) -> bool:
        return _env("CODEAGENT_PROMPT_CACHING", "1").lower() not in ("0", "false", "no", "off")

    @default("model_profile")
    def _default_model_profile(self) -> str:
        value = _env("CODEAGENT_MODEL_PROFILE", "auto").lower()
        return value if value in ("auto", "full", "compact") else "auto"

    @default("vision")
    def _default_vision(self) -> str:
        value = _env("CODEAGENT_VISION", "auto").lower()
        return value if value in ("auto", "on", "off") else "auto"

    @default("vision_max_side")
    def _default_vision_max_side(self) -> int:
        return int(_env_number("CODEAGENT_VISION_MAX_SIDE", 768, int))

    @default("vision_max_images")
    def _default_vision_max_images(self) -> int:
        return int(_env_number("CODEAGENT_VISION_MAX_IMAGES", 3, int))
