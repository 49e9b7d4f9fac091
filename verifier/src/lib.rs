//! curlab-verifier
