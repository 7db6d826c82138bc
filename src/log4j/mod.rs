//! log4j configuration editing.
