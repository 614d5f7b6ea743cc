"""The only importer of label_studio_sdk: the client, labeling configs, payloads, push and pull."""
