// Small valid files of every kind dsinfer reads, made in memory. They are the fuzzers' seed
// corpora (so mutation starts from inputs that reach deep into each loader) and the fixed
// inputs some harnesses load once at start-up. Everything is deterministic.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace fuzz {

using Bytes = std::vector<std::byte>;

Bytes to_bytes(const std::string& s);

// A deepseek2 model (MLA + one dense and one MoE layer, shared expert) at toy size, with a
// byte-level BPE tokenizer and a chat template, as GGUF.
Bytes tiny_deepseek_gguf();
// The same model as a Hugging Face checkpoint: config.json text and model.safetensors bytes.
std::string tiny_hf_config_json();
Bytes tiny_hf_safetensors();
// A byte-level BPE tokenizer.json with merges, added tokens, a Split pre-tokenizer, NFC and
// a TemplateProcessing post-processor, and a tokenizer_config.json with a chat template.
std::string tiny_tokenizer_json();
std::string tiny_tokenizer_config_json();

// GGUF files that exercise the reader itself: every metadata type, nested arrays, and one
// tensor of each dtype GGUF can hold.
Bytes gguf_all_metadata_types();
Bytes gguf_all_tensor_types();

// Chat templates in the style real models ship (DeepSeek, Llama 3, Qwen 2 with tools).
std::vector<std::pair<std::string, std::string>> sample_chat_templates();  // (name, source)
// A render context: messages with system / user / assistant turns, tools, extra fields.
std::string sample_chat_context_json();

}  // namespace fuzz
