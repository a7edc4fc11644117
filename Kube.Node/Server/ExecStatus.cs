using System.Globalization;
using System.Text.Json;

namespace Kube.Node.Server;

/// <summary>The metav1.Status sent on channel 3 at the end of an exec, as upstream's remotecommand does (exit code in details.causes ExitCode).</summary>
internal static class ExecStatus
{
    public static string Json(int exitCode) => exitCode == 0
        ? JsonSerializer.Serialize(new { metadata = new { }, status = "Success" })
        : JsonSerializer.Serialize(new
        {
            metadata = new { },
            status = "Failure",
            message = $"command terminated with non-zero exit code: error executing command, exit status {exitCode}",
            reason = "NonZeroExitCode",
            details = new { causes = new[] { new { reason = "ExitCode", message = exitCode.ToString(CultureInfo.InvariantCulture) } } },
        });

    public static string Error(string message) =>
        JsonSerializer.Serialize(new { metadata = new { }, status = "Failure", message, reason = "InternalError" });
}
