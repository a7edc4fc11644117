using System.Globalization;
using k8s;
using k8s.Models;

namespace Kube.Node.Server;

/// <summary>The metav1.Status sent on channel 3 at the end of an exec, as upstream's remotecommand does.</summary>
internal static class ExecStatus
{
    public static string Json(int exitCode) => KubernetesJson.Serialize(exitCode == 0
        ? new V1Status { Metadata = new V1ListMeta(), Status = "Success" }
        : new V1Status
        {
            Metadata = new V1ListMeta(),
            Status = "Failure",
            Message = $"command terminated with non-zero exit code: error executing command, exit status {exitCode}",
            Reason = "NonZeroExitCode",
            Details = new V1StatusDetails { Causes = [new V1StatusCause { Reason = "ExitCode", Message = exitCode.ToString(CultureInfo.InvariantCulture) }] },
        });

    public static string Error(string message) => KubernetesJson.Serialize(new V1Status
    {
        Metadata = new V1ListMeta(),
        Status = "Failure",
        Message = message,
        Reason = "InternalError",
    });
}
