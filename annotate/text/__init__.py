"""Pure functions on text: refusal, personal data, similarity, format checks, prompt clusters.

Values layer: nothing here opens the store or imports pandas, so `train/` may use it."""
