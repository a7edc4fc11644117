using System.Text.Json.Serialization;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// Source-generated JSON for the process runtime's persisted sandbox records. Reflection-based serialisation of
/// <see cref="SandboxRecord"/> needs generic code over its enum property that a NativeAOT-compiled agent (kube-node) does not
/// have, so the sandbox file is read and written through this context; the file format is unchanged (property names as
/// declared, enums as strings, indented).
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(SandboxRecord))]
internal sealed partial class ProcessRuntimeJsonContext : JsonSerializerContext;
