//! Importing existing Kubernetes YAML into a Plan (filled in below).
