"""Sample inventories shared by the hotfix tests.

The layouts follow what Windows prints (systeminfo's "Key:   value" list with values at column
28, PowerShell's VersionInfo table with its dashed rule and 16-character columns, wmic's
"Version" header); host names and other values are made up.
"""

from __future__ import annotations

import pytest

SYSTEMINFO_WIN7_X64_SP1 = """
Host Name:                 LAB-W7-01
OS Name:                   Microsoft Windows 7 Enterprise\x20
OS Version:                6.1.7601 Service Pack 1 Build 7601
OS Manufacturer:           Microsoft Corporation
OS Configuration:          Member Workstation
OS Build Type:             Multiprocessor Free
Registered Owner:          Lab
Original Install Date:     3/14/2012, 10:02:11 AM
System Manufacturer:       VMware, Inc.
System Type:               x64-based PC
Processor(s):              1 Processor(s) Installed.
                           [01]: Intel64 Family 6 Model 42 Stepping 7 GenuineIntel ~3300 Mhz
BIOS Version:              Phoenix Technologies LTD 6.00, 7/2/2011
Windows Directory:         C:\\Windows
Hotfix(s):                 2 Hotfix(s) Installed.
                           [01]: KB976902
                           [02]: KB982018
"""

SYSTEMINFO_R2_RTM = """
Host Name:                 CLU-NODE-2
OS Name:                   Microsoft Windows Server 2008 R2 Enterprise
OS Version:                6.1.7600 N/A Build 7600
System Type:               x64-based PC
"""

SYSTEMINFO_2008_X86 = """
Host Name:                 OLD-SRV
OS Name:                   Microsoftr Windows Serverr 2008 Standard\x20
OS Version:                6.0.6001 Service Pack 1 Build 6001
System Type:               X86-based PC
"""

SYSTEMINFO_VISTA_SP2 = """
Host Name:                 DESK-7
OS Name:                   Microsoftr Windows VistaT Business
OS Version:                6.0.6002 Service Pack 2 Build 6002
System Type:               x64-based PC
"""

SYSTEMINFO_2008_IA64 = """
Host Name:                 ITANIC
OS Name:                   Microsoft Windows Server 2008 Enterprise for Itanium-Based Systems
OS Version:                6.0.6002 Service Pack 2 Build 6002
System Type:               Itanium (TM) -based System
"""

SYSTEMINFO_XP = """
Host Name:                 RETRO
OS Name:                   Microsoft Windows XP Professional
OS Version:                5.1.2600 Service Pack 3 Build 2600
System Type:               X86-based PC
"""

PS_TCPIP_GDR = """
PS C:\\> (Get-Item C:\\Windows\\System32\\drivers\\tcpip.sys).VersionInfo

ProductVersion   FileVersion      FileName
--------------   -----------      --------
6.1.7601.17514   6.1.7601.1751... C:\\Windows\\System32\\drivers\\tcpip.sys

"""

PS_TCPIP_LDR = """
ProductVersion   FileVersion      FileName
--------------   -----------      --------
6.1.7601.21734   6.1.7601.2173... C:\\Windows\\System32\\drivers\\tcpip.sys
6.1.7601.21734   6.1.7601.2173... C:\\Windows\\System32\\drivers\\fwpkclnt.sys
"""

WMIC_TCPIP_LDR = (
    'C:\\>wmic datafile where name="C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys" get version\r\r\n'
    "Version         \r\r\n"
    "6.1.7601.21734  \r\r\n"
    "\r\r\n"
)


@pytest.fixture
def win7_fixed_inventory() -> str:
    """Windows 7 SP1 x64 with the hotfix's tcpip.sys and fwpkclnt.sys."""
    return SYSTEMINFO_WIN7_X64_SP1 + PS_TCPIP_LDR


@pytest.fixture
def win7_affected_inventory() -> str:
    """Windows 7 SP1 x64 with the SP1 release tcpip.sys (GDR)."""
    return SYSTEMINFO_WIN7_X64_SP1 + PS_TCPIP_GDR


@pytest.fixture
def samples() -> dict[str, str]:
    """All sample texts by name, for tests that combine them."""
    return {
        "win7_x64_sp1": SYSTEMINFO_WIN7_X64_SP1,
        "r2_rtm": SYSTEMINFO_R2_RTM,
        "s2008_x86": SYSTEMINFO_2008_X86,
        "vista_sp2": SYSTEMINFO_VISTA_SP2,
        "s2008_ia64": SYSTEMINFO_2008_IA64,
        "xp": SYSTEMINFO_XP,
        "ps_tcpip_gdr": PS_TCPIP_GDR,
        "ps_tcpip_ldr": PS_TCPIP_LDR,
        "wmic_tcpip_ldr": WMIC_TCPIP_LDR,
    }
