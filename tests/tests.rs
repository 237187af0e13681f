//! Integration tests: one binary, topic modules. Everything runs against the embedded simulator
//! on 127.0.0.1 with an OS-assigned port; nothing leaves loopback.

mod it;
