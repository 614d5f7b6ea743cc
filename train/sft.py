"""Supervised fine-tuning (TRL's SFTTrainer) of a base model on an exported SFT snapshot.

    flywheel train tiny-model models/tiny
    flywheel export --kind sft --name support-sft
    flywheel train sft --data exports/support-sft/v1 --base models/tiny --config train/configs/sft-lora.toml
    flywheel train sft --data exports/support-sft/v1 --base models/tiny --set trainer.max_steps=3 --merge
    accelerate launch --config_file train/configs/accelerate-fsdp.yaml -m train.sft --data ... --base ...

Conversational rows (`messages`) train on the assistant's turns when the chat template marks them
(`{% generation %}`); prompt/completion rows on the completion. See `train.recipe` for the steps.
"""

from __future__ import annotations

from pathlib import Path

from annotate.contracts.training import RunRequest
from train.recipe import Prepared, finish, prepare


def main(request: RunRequest) -> Path:
    """Train and save one SFT run; returns its folder."""
    from trl import SFTConfig

    prepared = prepare("sft", request, SFTConfig)
    return finish("sft", request, prepared, build_trainer(prepared))


def build_trainer(prepared: Prepared):
    """TRL's SFTTrainer on the prepared model, data and settings (not yet trained)."""
    from trl import SFTTrainer

    return SFTTrainer(
        model=prepared.model,
        args=prepared.trainer_args,
        train_dataset=prepared.datasets["train"],
        eval_dataset=prepared.datasets.get("eval"),
        processing_class=prepared.tokenizer,
        peft_config=prepared.peft_config,
    )


if __name__ == "__main__":  # `python -m train.sft` / `accelerate launch -m train.sft`: the same options as the command
    from train.cli_args import request_from_argv

    main(request_from_argv("sft"))
