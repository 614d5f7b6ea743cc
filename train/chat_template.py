"""The ChatML chat template Flywheel gives a model without a usable one (the tiny test model, and
converted GGUF models): each assistant turn (its content, tool calls and `<|im_end|>`) inside
`{% generation %}` markers for TRL's assistant-only loss, and tool use in the Hermes / Qwen form
that `annotate.text.tool_calls` reads: offered tools listed in the system turn inside `<tools>`,
an assistant's calls as `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks, tool
results as `tool` turns.
"""

from __future__ import annotations

TOOLS_INTRO = (
    "# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>"
)
TOOLS_OUTRO = (
    "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments "
    "within <tool_call></tool_call> XML tags:\\n<tool_call>\\n"
    '{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call>'
)


def chatml_template(default_system: str | None = None) -> str:
    """ChatML with assistant turns marked for the loss and tool calls rendered; a conversation
    without a system turn gets `default_system` first (as the model was trained), and when tools
    are offered the system turn lists them."""
    default = (default_system or "").replace("'", "\\'")
    system_turn = (
        "{% set system = messages[0]['content'] if messages and messages[0]['role'] == 'system' else '" + default + "' %}"
        "{% if tools %}"
        "{{ '<|im_start|>system\\n' + (system + '\\n\\n' if system else '') + '" + TOOLS_INTRO + "' }}"
        "{% for tool in tools %}{{ '\\n' + (tool | tojson) }}{% endfor %}"
        "{{ '" + TOOLS_OUTRO + "<|im_end|>\\n' }}"
        "{% elif system %}"
        "{{ '<|im_start|>system\\n' + system + '<|im_end|>\\n' }}"
        "{% endif %}"
    )
    calls = (
        "{% for call in message['tool_calls'] or [] %}"
        "{% set function = call['function'] if call['function'] is defined else call %}"
        "{{ ('\\n' if message['content'] or not loop.first else '') + '<tool_call>\\n{\"name\": \"' + function['name'] + '\", \"arguments\": ' }}"
        "{{ function['arguments'] if function['arguments'] is string else (function['arguments'] | tojson) }}"
        "{{ '}\\n</tool_call>' }}"
        "{% endfor %}"
    )
    return (
        system_turn
        + "{% for message in messages %}"
        "{% if loop.first and message['role'] == 'system' %}"
        "{% elif message['role'] == 'assistant' %}"
        "{{ '<|im_start|>assistant\\n' }}"
        "{% generation %}{{ message['content'] or '' }}" + calls + "{{ '<|im_end|>' }}{% endgeneration %}"
        "{{ '\\n' }}"
        "{% else %}"
        "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
        "{% endif %}"
        "{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )


def renders_tool_calls(tokenizer) -> bool:
    """Whether the tokenizer's chat template renders an assistant turn's `tool_calls` (a template
    that never names them drops the calls: the turn would be trained on, or read, as empty)."""
    template = tokenizer.chat_template or ""
    return "tool_calls" in (" ".join(template.values()) if isinstance(template, dict) else template)
