"""Direct preference optimisation (TRL's DPOTrainer) on an exported DPO snapshot.

    flywheel export --kind dpo --name support-dpo
    flywheel train dpo --data exports/support-dpo/v1 --base models/tiny --config train/configs/dpo-lora.toml
    flywheel train dpo --data exports/support-dpo/v1 --base models/tiny --init-adapter runs/sft-support-sft-v1-...

With `--init-adapter` the SFT adapter is merged into the base first; the new LoRA trains on that
merged model, which (adapter switched off) is also DPO's reference. Without a peft adapter
(`method = "full"`) TRL keeps a frozen copy as the reference. See `train.recipe` for the steps.
"""

from __future__ import annotations

from pathlib import Path

from annotate.contracts.training import RunRequest
from train.recipe import Prepared, finish, prepare


def main(request: RunRequest) -> Path:
    """Train and save one DPO run; returns its folder."""
    from trl import DPOConfig

    prepared = prepare("dpo", request, DPOConfig)
    return finish("dpo", request, prepared, build_trainer(prepared))


def build_trainer(prepared: Prepared):
    """TRL's DPOTrainer on the prepared model, preference pairs and settings (not yet trained)."""
    from trl import DPOTrainer

    return DPOTrainer(
        model=prepared.model,
        ref_model=None,  # with a peft adapter: the model with the adapter off; else a frozen copy
        args=prepared.trainer_args,
        train_dataset=prepared.datasets["train"],
        eval_dataset=prepared.datasets.get("eval"),
        processing_class=prepared.tokenizer,
        peft_config=prepared.peft_config,
    )


if __name__ == "__main__":
    from train.cli_args import request_from_argv

    main(request_from_argv("dpo"))
