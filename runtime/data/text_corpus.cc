#include "runtime/data/text_corpus.h"

#include "runtime/core/error.h"
#include "runtime/core/input_file.h"

namespace ra::data {

Documents read_text_documents(const std::vector<std::string>& files) {
  Documents d;
  d.offsets.push_back(0);
  for (const std::string& path : files) {
    const std::string text = read_input_file(path, {.role = "text file", .error_code = ExitCode::kInputData});
    if (text.empty()) throw InputDataError(path + ": byte 0: the text file is empty (a document needs a token)");
    for (char c : text) d.tokens.push_back(static_cast<unsigned char>(c));
    d.offsets.push_back(d.tokens.size());
  }
  return d;
}

}  // namespace ra::data
