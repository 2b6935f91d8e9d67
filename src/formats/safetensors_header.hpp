// The safetensors JSON header, read as a stream of parse events straight into tensor
// entries. No document tree is built: a tree costs ten or more times the header's bytes
// (a 100 MB header of tiny values would take gigabytes), while the entries kept here cost
// about what their text does, and the nesting a hostile header may use is bounded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "util/strings.hpp"

namespace dsinfer::safetensors {

// One "name": {"dtype", "shape", "data_offsets"} entry as written; checked by the reader.
struct HeaderEntry {
  std::string name;
  std::optional<std::string> dtype;
  std::optional<std::vector<uint64_t>> shape;
  std::optional<std::vector<uint64_t>> offsets;
};

struct Header {
  std::vector<HeaderEntry> entries;  // in file order
  std::map<std::string, std::string> metadata;
};

constexpr size_t kMaxRank = 16;    // safetensors shapes in the wild have at most 5 dimensions
constexpr int kMaxSkipDepth = 64;  // nesting allowed inside fields dsinfer ignores

// nlohmann's SAX interface. The first problem found is kept and the rest of the text is
// only checked for JSON syntax, so that invalid JSON is reported as such wherever it is.
class HeaderReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  // Parses [begin, end); throws Error(invalid_format) naming what is wrong.
  static Header read(const char* begin, const char* end) {
    HeaderReader r;
    nlohmann::json::sax_parse(begin, end, &r);
    if (!r.json_error_.empty()) throw Error(ErrorCode::invalid_format, "header is not valid JSON: " + r.json_error_);
    if (!r.error_.empty()) throw Error(ErrorCode::invalid_format, r.error_);
    return std::move(r.header_);
  }

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t) override { return scalar("a negative number"); }
  bool number_float(number_float_t, const string_t&) override { return scalar("a fractional or huge number"); }
  bool binary(binary_t&) override { return scalar("binary"); }

  bool number_unsigned(number_unsigned_t v) override {
    if (failed() || skip_) return skipped_scalar();
    if (where_ != In::shape && where_ != In::offsets) return scalar("a number");
    auto& list = where_ == In::shape ? *entry().shape : *entry().offsets;
    if (where_ == In::shape && list.size() == kMaxRank) return bad("has more than " + std::to_string(kMaxRank) + " dimensions");
    if (where_ == In::offsets && list.size() == 2) return bad("\"data_offsets\" must be [begin, end]");
    list.push_back(v);
    return true;
  }

  bool string(string_t& s) override {
    if (failed() || skip_) return skipped_scalar();
    if (where_ == In::metadata_value) {
      header_.metadata[key_] = std::move(s);
      where_ = In::metadata;
      return true;
    }
    if (where_ == In::dtype) {
      entry().dtype = std::move(s);
      where_ = In::entry;
      return true;
    }
    return scalar("a string");
  }

  bool start_object(std::size_t) override {
    if (failed()) return true;
    if (skip_) return enter_skipped();
    if (where_ == In::nothing) {
      where_ = In::top;
      return true;
    }
    if (where_ != In::top_value) return scalar("an object");
    if (key_ == "__metadata__") {
      where_ = In::metadata;
      return true;
    }
    if (!names_.insert(key_).second) return bad("tensor " + printable(key_) + " appears twice");
    header_.entries.push_back({key_, {}, {}, {}});
    where_ = In::entry;
    return true;
  }

  bool key(string_t& k) override {
    if (failed() || skip_) return true;
    if (where_ == In::top || where_ == In::metadata) {
      key_ = std::move(k);
      where_ = where_ == In::top ? In::top_value : In::metadata_value;
      return true;
    }
    if (where_ != In::entry) return true;
    const bool dtype = k == "dtype", shape = k == "shape", offsets = k == "data_offsets";
    if ((dtype && entry().dtype) || (shape && entry().shape) || (offsets && entry().offsets))
      return bad("has \"" + k + "\" twice");
    if (dtype) where_ = In::dtype;
    else if (shape) where_ = In::shape_start;
    else if (offsets) where_ = In::offsets_start;
    else skip_ = 1;  // fields beyond the three are ignored, as Hugging Face's reader does
    return true;
  }

  bool end_object() override {
    if (failed()) return true;
    if (skip_) return leave_skipped();
    where_ = where_ == In::top ? In::done : In::top;  // the end of __metadata__ or of an entry
    return true;
  }

  bool start_array(std::size_t) override {
    if (failed()) return true;
    if (skip_) return enter_skipped();
    if (where_ == In::shape_start) {
      entry().shape.emplace();
      where_ = In::shape;
    } else if (where_ == In::offsets_start) {
      entry().offsets.emplace();
      where_ = In::offsets;
    } else {
      return scalar("an array");
    }
    return true;
  }

  bool end_array() override {
    if (failed()) return true;
    if (skip_) return leave_skipped();
    where_ = In::entry;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    json_error_ = e.what();
    return false;
  }

 private:
  enum class In {
    nothing, top, top_value, metadata, metadata_value, entry, dtype, shape_start, shape, offsets_start, offsets, done
  };

  HeaderEntry& entry() { return header_.entries.back(); }
  bool failed() const { return !error_.empty(); }

  // Records the first problem, prefixed with where it is; parsing goes on for syntax only.
  bool bad(const std::string& what) {
    if (where_ == In::nothing || where_ == In::top || where_ == In::top_value || header_.entries.empty())
      error_ = "header: " + what;
    else if (where_ == In::metadata || where_ == In::metadata_value) error_ = "__metadata__ value " + printable(key_) + ": " + what;
    else error_ = "tensor " + printable(entry().name) + ": " + what;
    return true;
  }

  // A value where the format allows none of its kind.
  bool scalar(const char* kind) {
    if (failed() || skip_) return skipped_scalar();
    const std::string k(kind);
    switch (where_) {
      case In::nothing: return bad("is " + k + ", not a JSON object");
      case In::top_value:
        return bad(key_ == "__metadata__" ? "__metadata__ is " + k + ", not an object"
                                          : "entry " + printable(key_) + " is " + k + ", not an object");
      case In::metadata_value: return bad("is " + k + ", not a string");
      case In::dtype: return bad("\"dtype\" is " + k + ", not a string");
      case In::shape_start: return bad("\"shape\" is " + k + ", not an array");
      case In::shape: return bad("\"shape\" has a non-integer or negative entry (" + k + ")");
      case In::offsets_start: return bad("\"data_offsets\" is " + k + ", not an array");
      case In::offsets: return bad("\"data_offsets\" must be non-negative integers, not " + k);
      default: return bad("unexpected " + k);
    }
  }

  // skip_: 0 not skipping; 1 the next value is skipped; n > 1 inside it, n - 1 deep.
  bool skipped_scalar() {
    if (skip_ == 1) skip_ = 0;  // the skipped value was this scalar
    return true;
  }
  bool enter_skipped() {
    if (++skip_ > kMaxSkipDepth) {
      skip_ = 0;
      return bad("an ignored field nests deeper than " + std::to_string(kMaxSkipDepth));
    }
    return true;
  }
  bool leave_skipped() {
    if (--skip_ == 1) skip_ = 0;
    return true;
  }

  Header header_;
  In where_ = In::nothing;
  std::string key_;
  std::set<std::string> names_;
  int skip_ = 0;
  std::string error_;       // the first problem with the header's content
  std::string json_error_;  // the JSON syntax error, which takes precedence
};

}  // namespace dsinfer::safetensors
