//! curlab-generator
