#!/usr/bin/env bash
# Benchmark on a GPU: LoRA SFT (TRL SFTTrainer, as `flywheel train sft` runs it) of a ~0.5B-parameter
# Llama-style model, randomly initialised: tokens/s and model FLOPs utilisation (MFU).
#
#     bash bench/train_gpu.sh                      # on a GPU machine, from anywhere in the repository
#     PEAK_TFLOPS=312 bash bench/train_gpu.sh      # an A100 (bf16 dense peak, TFLOP/s)
#     STEPS=100 BATCH=16 bash bench/train_gpu.sh
#     SMOKE=1 bash bench/train_gpu.sh              # on a CPU: a tiny config, a few steps (checks the script)
#
# Environment (bench/gpu_venv.sh): uses $VENV (default .venv) when it has a python; otherwise creates it and runs
# `pip install -e '.[train]'`. When its torch has no CUDA (the CPU wheel that local-disk pip
# configs hand out), torch is reinstalled at the same version from PyPI (pip config ignored),
# whose Linux build has CUDA. SMOKE=1 skips the CUDA check.
#
# What is measured: a LlamaConfig model (hidden 1280, 24 layers, 20 heads, intermediate 3456,
# vocabulary 32000, tied embeddings: ~0.52B parameters; HIDDEN, LAYERS, HEADS, INTERMEDIATE
# override) built on the GPU and cast to bf16; no hub, no download. No tokenizer is trained: the
# dataset is already tokenised, `input_ids` rows of SEQ_LEN (512) random ids in 1..31999, which
# TRL's SFTTrainer detects ("input_ids" among the columns: `is_processed` in
# SFTTrainer._prepare_dataset) and uses as they are, labels = input_ids. A word-level tokenizer
# of the same 32000 ids (`<pad>` = 0, never drawn) is the processing class: TRL needs one for its
# pad id. SFTConfig: max_steps STEPS (60), per_device_train_batch_size BATCH (8), max_length
# SEQ_LEN, bf16, no gradient checkpointing, lr 2e-4, logging every 10 steps, no checkpoints,
# include_num_input_tokens_seen "non_padding" (flywheel's default), report_to []; LoRA r=16
# alpha=32 dropout 0.05 on all linear layers.
# A TrainerCallback times steps WARMUP (10) to the end (CUDA synchronised at both ends): tokens/s
# = tokens in those steps / their seconds (every row is SEQ_LEN tokens, no padding; checked
# against the trainer's num_input_tokens_seen). MFU = 6 * N * tokens/s / peak, N all parameters
# (the usual 6N approximation of a training step's FLOPs per token: attention's own FLOPs left
# out, and with LoRA the frozen base has no weight gradients, so the work done is nearer 4N; the
# 4N figure is printed too). Peak: PEAK_TFLOPS (default 989, H100/H200 SXM bf16 dense).
# Run time: about a minute after the install on an H100-class GPU (under 5 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=${SMOKE:-0}
source bench/gpu_venv.sh

export SMOKE OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 HF_DATASETS_DISABLE_PROGRESS_BARS=1 \
    TRANSFORMERS_VERBOSITY=error TOKENIZERS_PARALLELISM=false PYTHONWARNINGS=ignore::FutureWarning
exec "$VENV/bin/python" - <<'PY'
import os
import tempfile
import time

import numpy as np
import torch

SMOKE = os.environ.get("SMOKE") == "1"
VOCAB = 32000
if SMOKE:  # a CPU check of this script: tiny model, fp32, a few steps
    torch.set_num_threads(1)
    HIDDEN, LAYERS, HEADS, INTERMEDIATE, SEQ_LEN, BATCH, STEPS, WARMUP = 64, 2, 4, 176, 64, 2, 6, 2
else:
    env = os.environ.get
    HIDDEN, LAYERS, HEADS, INTERMEDIATE = int(env("HIDDEN", 1280)), int(env("LAYERS", 24)), int(env("HEADS", 20)), int(env("INTERMEDIATE", 3456))
    SEQ_LEN, BATCH, STEPS, WARMUP = int(env("SEQ_LEN", 512)), int(env("BATCH", 8)), int(env("STEPS", 60)), int(env("WARMUP", 10))
PEAK_TFLOPS = float(os.environ.get("PEAK_TFLOPS", 989))
assert STEPS > WARMUP >= 1, "STEPS must exceed WARMUP"

from datasets import Dataset
from peft import LoraConfig
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, PrinterCallback, TrainerCallback
from trl import SFTConfig, SFTTrainer

cuda = torch.cuda.is_available() and not SMOKE
device = torch.device("cuda" if cuda else "cpu")
print(f"device               {torch.cuda.get_device_name(0) if cuda else 'CPU (SMOKE=1)'}; torch {torch.__version__} "
      f"(CUDA {torch.version.cuda}), peak {PEAK_TFLOPS:g} TFLOP/s (PEAK_TFLOPS){'' if cuda else ', not a CPU figure'}")

# A word-level tokenizer over the same 32000 ids: only its pad id is used (the data is tokenised already).
vocab = {"<pad>": 0, **{f"t{index}": index for index in range(1, VOCAB)}}
word_level = Tokenizer(models.WordLevel(vocab, unk_token="t1"))
word_level.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
tokenizer = PreTrainedTokenizerFast(tokenizer_object=word_level, pad_token="<pad>", eos_token="t1", unk_token="t1")
assert len(tokenizer) == VOCAB, len(tokenizer)

config = LlamaConfig(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTERMEDIATE, num_hidden_layers=LAYERS,
                     num_attention_heads=HEADS, num_key_value_heads=HEADS, max_position_embeddings=max(SEQ_LEN, 512),
                     tie_word_embeddings=True, pad_token_id=0, bos_token_id=1, eos_token_id=1)
started = time.perf_counter()
torch.manual_seed(0)
with device:
    model = LlamaForCausalLM(config)
if cuda:
    model = model.to(torch.bfloat16)
build_seconds = time.perf_counter() - started
n_params = sum(p.numel() for p in model.parameters())  # tied embeddings counted once
per_layer = 4 * HIDDEN * HIDDEN + 3 * HIDDEN * INTERMEDIATE + 2 * HIDDEN
analytic = LAYERS * per_layer + VOCAB * HIDDEN + HIDDEN
print(f"model                Llama hidden {HIDDEN}, {LAYERS} layers, {HEADS} heads, intermediate {INTERMEDIATE}, "
      f"vocabulary {VOCAB}, tied embeddings: {n_params:,} parameters ({n_params / 1e9:.3f} B; "
      f"by formula {analytic:,}); built in {build_seconds:.1f} s, {next(model.parameters()).dtype}")

rows = STEPS * BATCH
ids = np.random.default_rng(0).integers(1, VOCAB, size=(rows, SEQ_LEN), dtype=np.int64)
dataset = Dataset.from_dict({"input_ids": ids.tolist()})


class StepTimer(TrainerCallback):
    """Seconds and tokens from the end of step WARMUP to the end of the last step (CUDA synchronised there only)."""

    start = end = None
    tokens_start = tokens_end = step_start = step_end = 0

    def _now(self):
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == WARMUP:
            self.start, self.tokens_start, self.step_start = self._now(), state.num_input_tokens_seen, state.global_step
        elif state.global_step == state.max_steps:
            self.end, self.tokens_end, self.step_end = self._now(), state.num_input_tokens_seen, state.global_step


timer = StepTimer()
with tempfile.TemporaryDirectory(prefix="flywheel-bench-gpu-") as out:
    args = SFTConfig(output_dir=out, max_steps=STEPS, per_device_train_batch_size=BATCH, max_length=SEQ_LEN,
                     learning_rate=2e-4, logging_steps=10, save_strategy="no", seed=0, data_seed=0,
                     bf16=cuda, use_cpu=not cuda, gradient_checkpointing=False,
                     include_num_input_tokens_seen="non_padding", report_to=[], disable_tqdm=True)
    lora = LoraConfig(task_type="CAUSAL_LM", r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear")
    started = time.perf_counter()
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer, peft_config=lora,
                         callbacks=[timer])
    trainer.remove_callback(PrinterCallback)  # the per-log dicts (no progress bar here); the figures follow
    setup_seconds = time.perf_counter() - started
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    result = trainer.train()

trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
total = sum(p.numel() for p in trainer.model.parameters())  # base + LoRA
steps = timer.step_end - timer.step_start
seconds = timer.end - timer.start
tokens = steps * BATCH * SEQ_LEN
counted = timer.tokens_end - timer.tokens_start
tokens_per_s = tokens / seconds
mfu = 6 * total * tokens_per_s / (PEAK_TFLOPS * 1e12)
mfu_4n = 4 * total * tokens_per_s / (PEAK_TFLOPS * 1e12)
print(f"training             {STEPS} steps x batch {BATCH} x {SEQ_LEN} tokens, LoRA r=16 all-linear: {trainable:,} trainable "
      f"of {total:,}; trainer set-up {setup_seconds:.1f} s, train_runtime {result.metrics['train_runtime']:.1f} s, "
      f"final loss {result.training_loss:.3f}")
print(f"timed steps          {timer.step_start + 1}..{timer.step_end} ({steps} steps after {WARMUP} warm-up): "
      f"{seconds:.3f} s, {seconds / steps * 1000:.1f} ms/step; {tokens:,} tokens "
      f"({'same as' if counted == tokens else 'DIFFERENT from'} the trainer's count, {counted:,})")
print(f"tokens/s             {tokens_per_s:,.0f}")
print(f"MFU                  {mfu:.1%}  = 6 x {total / 1e9:.3f} B x {tokens_per_s:,.0f} tokens/s / {PEAK_TFLOPS:g} TFLOP/s "
      f"({6 * total * tokens_per_s / 1e12:.1f} TFLOP/s; the 6N approximation, attention FLOPs left out)")
print(f"MFU (4N)             {mfu_4n:.1%}  counting 4N per token: forward + activation gradients, no weight gradients for the frozen base")
if cuda:
    print(f"peak memory          {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB allocated by torch")
PY
