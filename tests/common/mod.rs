pub mod genlog;
