// "did you mean" for unknown keys: the closest candidate by edit distance, if close.
#pragma once

#include <string>
#include <vector>

namespace ra::config {

// Levenshtein distance (insertions, deletions, substitutions).
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word` when its distance is at most max(2, |word| / 3);
// empty otherwise.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ra::config
