//! The interactive steps, one file per part of the walk; each is a method of the wizard.

mod connect;
mod files;
mod finish;
mod profile;
mod rotation;
