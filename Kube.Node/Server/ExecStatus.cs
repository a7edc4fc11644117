using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kube.Node.Server;

/// <summary>
/// The metav1.Status sent on channel 3 at the end of an exec, as upstream's remotecommand does (exit code in details.causes
/// ExitCode). Written with a Utf8JsonWriter, so it needs no reflection (kube-node compiled with NativeAOT sends it too).
/// </summary>
internal static class ExecStatus
{
    public static string Json(int exitCode) => exitCode == 0
        ? Write("Success", null, null, null)
        : Write("Failure", $"command terminated with non-zero exit code: error executing command, exit status {exitCode}", "NonZeroExitCode",
            exitCode.ToString(CultureInfo.InvariantCulture));

    public static string Error(string message) => Write("Failure", message, "InternalError", null);

    private static string Write(string status, string? message, string? reason, string? exitCode)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteEndObject();
            w.WriteString("status", status);
            if (message is not null) w.WriteString("message", message);
            if (reason is not null) w.WriteString("reason", reason);
            if (exitCode is not null)
            {
                w.WriteStartObject("details");
                w.WriteStartArray("causes");
                w.WriteStartObject();
                w.WriteString("reason", "ExitCode");
                w.WriteString("message", exitCode);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
