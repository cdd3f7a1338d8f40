// HELPDESK_EXPORT: marks what libhelpdesk's shared libraries export.
//
// The libraries are built with -fvisibility=hidden and
// -fvisibility-inlines-hidden (CMake's CXX_VISIBILITY_PRESET hidden,
// VISIBILITY_INLINES_HIDDEN): only what is declared with HELPDESK_EXPORT is
// visible to a host. Every public class and free function in include/helpdesk/
// carries it:
//
//   class HELPDESK_EXPORT Desk { ... };
//   HELPDESK_EXPORT std::unique_ptr<Store> NewMemoryStore();
//
// Templates, inline functions, enums and plain structs defined in headers need
// no mark. In a static build HELPDESK_STATIC is defined (CMake adds it to the
// targets' interface) and the macro is empty, so a host that links the static
// libraries into its own shared library does not re-export them. On ELF one
// attribute serves both building and using a library, so every component
// (core, sqlite, email) shares this one macro.
#ifndef HELPDESK_EXPORT_H_
#define HELPDESK_EXPORT_H_

#if defined(HELPDESK_STATIC)
#define HELPDESK_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define HELPDESK_EXPORT __attribute__((visibility("default")))
#else
#define HELPDESK_EXPORT
#endif

#endif  // HELPDESK_EXPORT_H_
