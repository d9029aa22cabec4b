package images

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// SPDX 2.3 JSON, the fields this SBOM uses.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	Name             string         `json:"name"`
	SPDXID           string         `json:"SPDXID"`
	VersionInfo      string         `json:"versionInfo,omitempty"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

const noAssertion = "NOASSERTION"

// SBOM returns the SPDX 2.3 JSON document of the Go modules compiled into
// o.Binary (its build information) and that information.
func SBOM(o Options) ([]byte, *buildinfo.BuildInfo, error) {
	bi, err := buildinfo.ReadFile(o.Binary)
	if err != nil {
		return nil, nil, fmt.Errorf("sbom: %s: %w", o.Binary, err)
	}
	sum, err := fileSHA256(o.Binary)
	if err != nil {
		return nil, nil, fmt.Errorf("sbom: %w", err)
	}
	b, err := json.MarshalIndent(sbomDocument(o, bi, sum), "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("sbom: %w", err)
	}
	return append(b, '\n'), bi, nil
}

// sbomDocument describes the main module of bi (of a binary whose SHA-256
// is sum), depending on each module, with its h1 sum as a SHA256 checksum.
func sbomDocument(o Options, bi *buildinfo.BuildInfo, sum string) spdxDocument {
	mainPath, mainVersion := bi.Main.Path, bi.Main.Version
	if mainPath == "" {
		mainPath = bi.Path
	}
	if mainVersion == "" || mainVersion == "(devel)" {
		mainVersion = o.Version
	}
	doc := spdxDocument{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              o.Name,
		DocumentNamespace: fmt.Sprintf("%s/spdx/%s-%s-%s", o.Source, o.Name, o.Arch, sum),
		CreationInfo: spdxCreationInfo{
			Created:  o.Created.UTC().Format(time.RFC3339),
			Creators: []string{"Tool: flotilla-mkimages", "Tool: " + bi.GoVersion},
		},
		Packages:      []spdxPackage{goPackage("SPDXRef-Package-main", mainPath, mainVersion, "", o.Licenses)},
		Relationships: []spdxRelationship{{"SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Package-main"}},
	}
	for i, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		id := fmt.Sprintf("SPDXRef-Package-%d", i+1)
		doc.Packages = append(doc.Packages, goPackage(id, m.Path, m.Version, m.Sum, ""))
		doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-Package-main", "DEPENDS_ON", id})
	}
	return doc
}

// goPackage is the SPDX package of a Go module; h1 is its go.sum hash.
func goPackage(id, path, version, h1, license string) spdxPackage {
	if license == "" {
		license = noAssertion
	}
	p := spdxPackage{
		Name: path, SPDXID: id, VersionInfo: version,
		DownloadLocation: noAssertion, LicenseConcluded: noAssertion,
		LicenseDeclared: license, CopyrightText: noAssertion,
		ExternalRefs: []spdxRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + path + "@" + version}},
	}
	if sum, ok := h1SHA256(h1); ok {
		p.Checksums = []spdxChecksum{{"SHA256", sum}}
	}
	return p
}

// h1SHA256 turns a go.sum "h1:" hash (base64 SHA-256) into hex.
func h1SHA256(h1 string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h1, "h1:"))
	if !strings.HasPrefix(h1, "h1:") || err != nil || len(b) != sha256.Size {
		return "", false
	}
	return hex.EncodeToString(b), true
}

func fileSHA256(name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}
