/**
 * What an IT department deploys to configure every Seatkeeper client on its machines:
 * a .reg file for the Group Policy key, an ADMX/ADML pair so the same settings appear
 * in the Group Policy editor, and the JSON policy file for macOS and Linux (or Windows
 * without Group Policy). All four name the same settings (client/config.ts).
 */
import { registryValueNames, settingLabels, type SettingName, type Settings } from "../client/index.js";

/** Registry path as the .reg format and the ADMX spell it. */
export const REG_HIVE_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Seatkeeper";
export const ADMX_KEY = "Software\\Policies\\Seatkeeper";
export const ADMX_NAMESPACE = "Seatkeeper.Policies.Seatkeeper";
const GP_SCHEMA = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";

export const PLACEHOLDERS: Record<"url" | "serial" | "productKey", string> = {
  url: "https://licensing.example.com",
  serial: "SK-XXXX-XXXX-XXXX-XXXX-XX",
  productKey: "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
};

/** The settings in file order; contact and group only when given. */
function ordered(values: Settings): Array<[SettingName, string]> {
  const out: Array<[SettingName, string]> = [
    ["url", values.url ?? PLACEHOLDERS.url],
    ["serial", values.serial ?? PLACEHOLDERS.serial],
    ["productKey", values.productKey ?? PLACEHOLDERS.productKey],
  ];
  if (values.contact) out.push(["contact", values.contact]);
  if (values.group) out.push(["group", values.group]);
  return out;
}

function regString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The .reg file's text. regedit expects "Windows Registry Editor Version 5.00" files in
 * UTF-16LE with a byte-order mark and CRLF line ends: encodeRegFile does that.
 */
export function renderRegFile(values: Settings): string {
  const lines = [
    "Windows Registry Editor Version 5.00",
    "",
    "; Seatkeeper: the licence service and pool for every user of this machine.",
    "; Import with `reg import seatkeeper.reg` (as an administrator), or deploy the same",
    "; values with Group Policy using seatkeeper.admx.",
    "",
    `[${REG_HIVE_KEY}]`,
    ...ordered(values).map(([name, v]) => `${regString(registryValueNames[name])}=${regString(v)}`),
    "",
  ];
  return lines.join("\r\n");
}

export function encodeRegFile(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
}

function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** The ADMX: two machine policies under a "Seatkeeper" category, writing the same values as the .reg file. */
export function renderAdmx(): string {
  const text = (name: SettingName, required: boolean, maxLength: number) =>
    `        <text id="${registryValueNames[name]}" valueName="${registryValueNames[name]}"${required ? ' required="true"' : ""} maxLength="${maxLength}" />`;
  // each policy's strings and dialog are named after it in the ADML
  const policy = (name: string, ...elements: string[]) => [
    `    <policy name="${name}" class="Machine" displayName="$(string.${name})" explainText="$(string.${name}_Explain)" presentation="$(presentation.${name})" key="${ADMX_KEY}">`,
    '      <parentCategory ref="Seatkeeper" />',
    '      <supportedOn ref="SUPPORTED_SeatkeeperClient" />',
    "      <elements>",
    ...elements,
    "      </elements>",
    "    </policy>",
  ];
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<policyDefinitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="${GP_SCHEMA}">`,
    "  <policyNamespaces>",
    `    <target prefix="seatkeeper" namespace="${ADMX_NAMESPACE}" />`,
    "  </policyNamespaces>",
    '  <resources minRequiredRevision="1.0" />',
    "  <supportedOn>",
    "    <definitions>",
    '      <definition name="SUPPORTED_SeatkeeperClient" displayName="$(string.SUPPORTED_SeatkeeperClient)" />',
    "    </definitions>",
    "  </supportedOn>",
    "  <categories>",
    '    <category name="Seatkeeper" displayName="$(string.Seatkeeper)" />',
    "  </categories>",
    "  <policies>",
    ...policy("ServiceAndPool", text("url", true, 2048), text("serial", true, 100), text("productKey", true, 100)),
    ...policy("Contact", text("contact", true, 200)),
    // one GPO per organisational unit sets its department's group
    ...policy("Group", text("group", true, 128)),
    "  </policies>",
    "</policyDefinitions>",
    "",
  ].join("\r\n");
}

/** The ADML (en-US): the names, explanations and dialog of the ADMX's policies. */
export function renderAdml(values: Settings = {}): string {
  const box = (name: SettingName, label: string, defaultValue?: string) =>
    [
      `        <textBox refId="${registryValueNames[name]}">`,
      `          <label>${xml(label)}</label>`,
      ...(defaultValue ? [`          <defaultValue>${xml(defaultValue)}</defaultValue>`] : []),
      "        </textBox>",
    ].join("\r\n");
  const presentation = (id: string, ...boxes: string[]) => [`      <presentation id="${id}">`, ...boxes, "      </presentation>"];
  const strings: Array<[string, string]> = [
    ["Seatkeeper", "Seatkeeper"],
    ["SUPPORTED_SeatkeeperClient", "Applications that use the Seatkeeper client or the seatkeeper command"],
    ["ServiceAndPool", "Licence service and pool"],
    [
      "ServiceAndPool_Explain",
      "Sets the Seatkeeper licence service address, and the serial number and product key of the pool that this machine's users take seats from.\n\n" +
        "Applications read these values from HKLM\\SOFTWARE\\Policies\\Seatkeeper when they are not given by the SEATKEEPER_URL, SEATKEEPER_SERIAL and SEATKEEPER_PRODUCT_KEY environment variables or the policy file.\n\n" +
        "When the serial number and product key are replaced (revoked), deploy the new pair here; users of the old pair are told to ask their IT department.",
    ],
    ["Contact", "Contact for licence questions"],
    [
      "Contact_Explain",
      "Who users should ask when every seat is in use or the licence is refused, for example \"IT service desk, extension 4242\". Shown in the applications' messages.",
    ],
    ["Group", "Group (department)"],
    [
      "Group_Explain",
      "The pool group this machine's users take seats of, for example \"Design\". The pool's admins give each group seats kept free for it (reserved) and a cap (max) in the Seatkeeper dashboard. Link one GPO per organisational unit to set each department's group.\n\n" +
        "Applications read this value when the SEATKEEPER_GROUP environment variable and the policy file do not give one.",
    ],
  ];
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<policyDefinitionResources xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="${GP_SCHEMA}">`,
    "  <displayName>Seatkeeper</displayName>",
    "  <description>Settings of the Seatkeeper licensing client</description>",
    "  <resources>",
    "    <stringTable>",
    ...strings.map(([id, s]) => `      <string id="${id}">${xml(s)}</string>`),
    "    </stringTable>",
    "    <presentationTable>",
    ...presentation(
      "ServiceAndPool",
      box("url", `${cap(settingLabels.url)} (https://…):`, values.url),
      box("serial", `${cap(settingLabels.serial)}:`),
      box("productKey", `${cap(settingLabels.productKey)}:`),
    ),
    ...presentation("Contact", box("contact", "Who to ask:", values.contact)),
    ...presentation("Group", box("group", "Group:", values.group)),
    "    </presentationTable>",
    "  </resources>",
    "</policyDefinitionResources>",
    "",
  ].join("\r\n");
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** The JSON policy file (/etc/seatkeeper/policy.json, %ProgramData%\Seatkeeper\policy.json). */
export function renderPolicyJson(values: Settings): string {
  return JSON.stringify(Object.fromEntries(ordered(values)), null, 2) + "\n";
}
